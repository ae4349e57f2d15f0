// Copy buttons: <button data-copy-target="input-id">. Without this script the link
// stays selectable in its read-only field.
const copyTimers = new WeakMap();

document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy-target]");
  if (!button) return;
  const input = document.getElementById(button.dataset.copyTarget);
  if (!input) return;
  button.dataset.label ??= button.textContent;  // the label before any "Copied!"
  try {
    await navigator.clipboard.writeText(input.value);
  } catch {
    input.select();
    document.execCommand("copy");
  }
  button.textContent = "Copied!";
  clearTimeout(copyTimers.get(button));
  copyTimers.set(button, setTimeout(() => { button.textContent = button.dataset.label; }, 2000));
});
