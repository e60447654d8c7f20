/** What `action` threw; fails the test when it threw nothing (for checking an error's fields). */
export function caught(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error("nothing was thrown");
}
