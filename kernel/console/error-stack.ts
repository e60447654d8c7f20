/**
 * An error's stack with its `Name: message` headline. V8 stacks start with the headline;
 * QuickJS stacks hold only the frames (and end with a newline), so the headline is added.
 */
export function errorStack(error: Error): string {
  const stack = typeof error.stack === "string" ? error.stack.replace(/\n$/, "") : "";
  if (stack !== "" && !/^\s*at /.test(stack)) return stack;
  const headline = errorHeadline(error);
  return stack === "" ? headline : `${headline}\n${stack}`;
}

function errorHeadline(error: Error): string {
  const name = error.name === undefined ? "Error" : String(error.name);
  const message = error.message === undefined ? "" : String(error.message);
  if (name === "") return message;
  return message === "" ? name : `${name}: ${message}`;
}
