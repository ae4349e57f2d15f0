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

// Fields with data-max-chars: a live count under the field, and a message beside it
// (not a silent cut) when the text is too long. The server refuses it all the same.
function showFieldError(input, message) {
  let box = input.parentElement.querySelector("[data-client-error]");
  if (!message) {
    if (box) box.remove();
    input.removeAttribute("aria-invalid");
    return;
  }
  if (!box) {
    box = document.createElement("p");
    box.className = "error";
    box.dataset.clientError = "";
    box.id = `${input.id}-client-error`;
    box.setAttribute("role", "alert");
    input.insertAdjacentElement("afterend", box);
    input.setAttribute("aria-describedby", `${input.getAttribute("aria-describedby") || ""} ${box.id}`.trim());
  }
  box.textContent = message;
  input.setAttribute("aria-invalid", "true");
}

function checkLength(input) {
  const max = Number(input.dataset.maxChars);
  const length = input.value.length;
  const counter = document.getElementById(`${input.id}-counter`);
  if (counter) counter.textContent = `${length.toLocaleString("en")} / ${max.toLocaleString("en")} characters`;
  const over = length > max;
  showFieldError(input, over
    ? `Keep your answer under ${max.toLocaleString("en")} characters: it has ${length.toLocaleString("en")}. Nothing is lost; shorten it, or put the rest in an attachment.`
    : "");
  return !over;
}

// File inputs with data-max-bytes: a file over the limit is refused before it uploads.
function checkFile(input) {
  const max = Number(input.dataset.maxBytes);
  const file = input.files && input.files[0];
  if (file && file.size > max) {
    const mb = (bytes) => (bytes / 1048576).toFixed(1);
    showFieldError(input, `That file is ${mb(file.size)} MB: attachments can be up to ${mb(max)} MB. Choose a smaller file, or hand in without it.`);
    input.value = "";
    return false;
  }
  showFieldError(input, "");
  return true;
}

document.addEventListener("input", (event) => {
  if (event.target.matches("[data-max-chars]")) checkLength(event.target);
});
document.addEventListener("change", (event) => {
  if (event.target.matches("[data-max-bytes]")) checkFile(event.target);
});
document.addEventListener("submit", (event) => {
  const fields = event.target.querySelectorAll("[data-max-chars]");
  const bad = [...fields].find((input) => !checkLength(input));
  if (bad) {
    event.preventDefault();
    bad.focus();
  }
});
document.querySelectorAll("[data-max-chars]").forEach(checkLength);

// Saved feedback: <button data-insert-into="textarea-id" data-snippet="text" hidden>.
// Without this script the buttons stay hidden and the lines are listed to copy.
for (const button of document.querySelectorAll("[data-insert-into]")) {
  button.hidden = false;
  const copy = button.parentElement.querySelector("[data-snippet-copy]");
  if (copy) copy.hidden = true;
}

for (const event of ["focus", "input", "click"]) {
  document.addEventListener(event, (e) => {
    if (e.target.matches?.("textarea")) e.target.dataset.touched = "";
  }, true);
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-insert-into]");
  if (!button) return;
  const box = document.getElementById(button.dataset.insertInto);
  if (!box) return;
  const text = button.dataset.snippet;
  // At the cursor if the box was used, else after what it holds; on a line of its own.
  const used = box.dataset.touched !== undefined;
  const start = used ? box.selectionStart : box.value.length;
  const end = used ? box.selectionEnd : box.value.length;
  const before = box.value.slice(0, start);
  const after = box.value.slice(end);
  const gapBefore = before && !before.endsWith("\n") ? "\n" : "";
  const gapAfter = after && !after.startsWith("\n") ? "\n" : "";
  box.value = before + gapBefore + text + gapAfter + after;
  const caret = (before + gapBefore + text).length;
  box.focus();
  box.setSelectionRange(caret, caret);
  box.dispatchEvent(new Event("input", { bubbles: true }));
});

// <select data-browser-zone>: a new form starts in the browser's own time zone (UTC,
// the server's default, without this script). A choice already made is left alone.
for (const select of document.querySelectorAll("select[data-browser-zone]")) {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const untouched = select.value === select.dataset.browserZone;
  if (zone && untouched && [...select.options].some((option) => option.value === zone)) {
    select.value = zone;
  }
}
