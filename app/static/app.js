// Copy buttons: <button data-copy-target="input-id">. Works without this script too:
// the link stays selectable in its read-only field.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy-target]");
  if (!button) return;
  const input = document.getElementById(button.dataset.copyTarget);
  if (!input) return;
  const label = button.textContent;
  try {
    await navigator.clipboard.writeText(input.value);
  } catch {
    input.select();
    document.execCommand("copy");
  }
  button.textContent = "Copied!";
  setTimeout(() => { button.textContent = label; }, 2000);
});
