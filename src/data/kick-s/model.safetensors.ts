// kick-s's weights as the site serves them to "Compress it yourself", byte for byte from data/models/kick-s.
import { shipKickSFile } from "./ship.js";

shipKickSFile("model.safetensors");
