// certmint console: progressive enhancement only. Every page works without this script
// (links lead to plain pages); the CSP allows this file and no inline code.

function openDialog(id) {
  const dialog = document.getElementById(id);
  if (!dialog || typeof dialog.showModal !== 'function') return false;
  if (dialog.open) dialog.close();
  dialog.showModal();
  return true;
}

// "Create New" and similar links: open the <dialog> instead of navigating to the plain page.
document.addEventListener('click', (event) => {
  const opener = event.target.closest('[data-dialog]');
  if (opener && openDialog(opener.getAttribute('data-dialog'))) {
    event.preventDefault();
    return;
  }
  const closer = event.target.closest('[data-close-dialog]');
  if (closer) {
    const dialog = closer.closest('dialog');
    if (dialog) {
      event.preventDefault();
      dialog.close();
    }
    return;
  }
  const copy = event.target.closest('[data-copy], [data-copy-value]');
  if (copy) {
    const text = copyText(copy);
    if (text === null || !navigator.clipboard) return;
    navigator.clipboard.writeText(text).then(() => {
      const label = copy.textContent;
      copy.textContent = 'Copied';
      setTimeout(() => {
        copy.textContent = label;
      }, 1500);
    });
  }
});

// What a copy button copies: its own value (a truncated id), or the text of the element it
// names, one line per list item (recovery codes).
function copyText(button) {
  const value = button.getAttribute('data-copy-value');
  if (value !== null) return value;
  const source = document.getElementById(button.getAttribute('data-copy'));
  if (!source) return null;
  const items = source.querySelectorAll('li');
  if (items.length > 0) return Array.from(items, (li) => li.textContent.trim()).join('\n');
  return source.textContent.trim();
}

// Roles offered for a mapping: only those the chosen entity holds (the server checks again).
function filterRoles(entitySelect) {
  const form = entitySelect.form;
  const roleSelect = form?.querySelector('select[data-role-select]');
  if (!roleSelect) return;
  const chosen = entitySelect.selectedOptions[0];
  const held = chosen ? (chosen.getAttribute('data-roles') || '').split(' ') : [];
  const visible = [];
  for (const option of roleSelect.options) {
    if (option.value === '') continue;
    const show = held.includes(option.value);
    option.hidden = !show;
    option.disabled = !show;
    if (show) visible.push(option);
  }
  const current = roleSelect.selectedOptions[0];
  // One role held: choose it; the chosen role not held: back to "choose".
  if (visible.length === 1) roleSelect.value = visible[0].value;
  else if (!current || current.disabled) roleSelect.value = '';
}

document.addEventListener('change', (event) => {
  if (event.target.matches('select[data-entity-select]')) filterRoles(event.target);
});

document.addEventListener('DOMContentLoaded', () => {
  for (const select of document.querySelectorAll('select[data-entity-select]')) filterRoles(select);
  // A dialog the server rendered open (e.g. to show why an upload was refused) becomes modal.
  for (const dialog of document.querySelectorAll('dialog[data-reopen]')) {
    dialog.removeAttribute('open');
    openDialog(dialog.id);
  }
});
