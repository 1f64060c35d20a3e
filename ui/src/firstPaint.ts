// Tells the desk when the first page is on screen, once per page load: the end of start-up that
// the benchmark measures. Only a measurement, so a failure is logged and otherwise ignored.
import { nextTick } from "vue";

import * as desk from "./api/desk";

export type FirstPage = "drafts" | "sign_in";

let reported = false;

function nextFrame(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => resolve()));
}

/**
 * After Vue has patched the DOM and the browser has drawn a frame with it, tells the desk which
 * page is on screen. Only the first call in a page load does anything; it resolves to whether
 * that call was the one that reported.
 */
export async function reportFirstPaint(what: FirstPage): Promise<boolean> {
  if (reported) return false;
  // Set before waiting, so two pages mounting at once still report once.
  reported = true;
  try {
    await nextTick();
    // The first callback runs before the frame with the new DOM is drawn; the second after it.
    await nextFrame();
    await nextFrame();
    await desk.painted(what, performance.now());
    return true;
  } catch (e) {
    console.warn("could not tell the desk the page is on screen", e);
    return false;
  }
}
