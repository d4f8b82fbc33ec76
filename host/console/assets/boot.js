// Loaded with `async`, so it runs as soon as it arrives, while the app's modules are still
// loading: it starts the session request, and for the functions list the overview request
// once the session says the user is signed in. app.js and the functions page take these
// promises (once); when they are missing or failed, the pages make their own requests.

const API = '/console/api/';
const LIST = /^#?\/?(functions\/?)?(\?.*)?$/;

const session = fetch(`${API}session`, { credentials: 'same-origin' })
  .then((r) => (r.ok ? r.json() : null))
  .catch(() => null);

const overview = LIST.test(location.hash)
  ? session
      .then((s) => (s && s.signedIn ? fetch(`${API}overview`, { credentials: 'same-origin' }) : null))
      .catch(() => null)
  : Promise.resolve(null);

window.fnhostBoot = { session, overview };
