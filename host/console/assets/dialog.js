// The app's own confirm dialog (#confirm in index.html): Escape or Cancel answers false.

/** Asks `message`; resolves true when the user confirms. `yes` labels the confirm button. */
export function confirmDialog(message, { yes = 'Delete' } = {}) {
  const dialog = document.getElementById('confirm');
  document.getElementById('confirm-message').textContent = message;
  document.getElementById('confirm-yes').textContent = yes;
  const opener = document.activeElement;
  return new Promise((resolve) => {
    dialog.returnValue = '';
    dialog.addEventListener(
      'close',
      () => {
        resolve(dialog.returnValue === 'yes');
        if (opener && opener.isConnected && typeof opener.focus === 'function') opener.focus();
      },
      { once: true },
    );
    dialog.showModal();
    document.getElementById('confirm-no').focus();
  });
}
