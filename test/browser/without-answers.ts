// A page served without the first view's answers (src/components/page-answers.ts): it then reads its data
// files itself, as a test that swaps or removes a data file needs (the answers were computed from the built ones).
import type { Page } from "playwright-core";

export const withoutAnswers = (page: Page) =>
  page.route("**/_file/data/first-view/*.json", (route) => route.fulfill({ status: 200, body: JSON.stringify({ data: null, answers: {} }), contentType: "application/json" }));
