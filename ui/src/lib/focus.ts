// Dialogs that cover the window keep the keyboard's focus inside them.

const FOCUSABLE =
  "button:not(:disabled), [href], input:not(:disabled), select:not(:disabled), " +
  "textarea:not(:disabled), [tabindex]:not([tabindex='-1'])";

/** Tab cycles within `container`: from its last focusable element to its first, and back. */
export function keepFocusInside(container: HTMLElement | undefined, event: KeyboardEvent): void {
  if (event.key !== "Tab" || !container) return;
  const focusable = container.querySelectorAll<HTMLElement>(FOCUSABLE);
  if (focusable.length === 0) return;
  const first = focusable[0];
  const last = focusable[focusable.length - 1];
  if (event.shiftKey && document.activeElement === first) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && document.activeElement === last) {
    event.preventDefault();
    first.focus();
  }
}
