/** An input box's message: what `check` throws, or nothing when it passes (VS Code shows it under the box). */
export function validationMessage(check: () => unknown): string | undefined {
  try {
    check();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
