"""What the runtime fixes in the interpreter before componentize-py snapshots it.

componentize-py loads the function while packaging, with each `-p` directory mounted at `/0`,
`/1`, ... and snapshots the result; at run time those mounts are gone and the function's files
are at `/var/task` (layers at `/opt`). So, before the snapshot:

- `prefer_shims` puts fnhost's boto3/botocore and urllib3 ahead of any real copy bundled in the
  package (the real ones cannot run in WebAssembly: no sockets, no ssl);
- `remap_paths` points `sys.path`, `__file__`, `__path__` from the build mounts to where the
  files are at run time, so `os.path.dirname(__file__)` and later imports of the function's own
  modules work;
- `reset_tempdir` forgets a temporary directory picked while packaging;
- `after_import` runs a set-up step when (and only if) the function imports a module, so
  functions that never import it do not carry what the step loads in their snapshot.
"""

import importlib
import importlib.abc
import importlib.machinery
import sys

# Top-level packages fnhost provides itself; their submodules follow the package's __path__.
SHIMMED = ("boto3", "botocore", "s3transfer", "urllib3")


class ShimFinder(importlib.abc.MetaPathFinder):
    """Serves `boto3`, `botocore`, `urllib3` (and refuses `s3transfer`) from fnhost's shim directory,
    whatever else is on sys.path."""

    def __init__(self, shim_dir):
        self.shim_dir = shim_dir
        # Set when the snapshot is taken: the shim directory is gone after that.
        self.packaged = False

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in SHIMMED:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, [self.shim_dir])
        if spec is None and self.packaged and fullname != "s3transfer":
            raise ModuleNotFoundError(
                f"No module named '{fullname}': import it at the top of the function's module "
                "(modules are loaded when the function is packaged, not while it runs)",
                name=fullname,
            )
        if spec is None:
            raise ModuleNotFoundError(
                f"No module named '{fullname}': inside fnhost, boto3 and botocore are fnhost's own "
                f"(calls go through the host); `{fullname}` is not available, use "
                "boto3.client('s3').upload_file/download_file instead",
                name=fullname,
            )
        return spec

    def __repr__(self):
        return f"ShimFinder({self.shim_dir!r})"


class _ThenLoader(importlib.abc.Loader):
    """A module's own loader, then `after()`."""

    def __init__(self, loader, after):
        self.loader = loader
        self.after = after

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        # The import system binds a submodule to its package only after this returns; `after`
        # may already need `package.submodule`.
        parent, _, child = module.__name__.rpartition(".")
        if parent in sys.modules:
            setattr(sys.modules[parent], child, module)
        self.after()


class _AfterImport(importlib.abc.MetaPathFinder):
    """Finds `name` with the other finders once, and runs `after()` when it has loaded."""

    def __init__(self, name, after):
        self.name = name
        self.after = after

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None:
            for finder in sys.meta_path:
                find = getattr(finder, "find_spec", None)
                spec = find(fullname, path, target) if find else None
                if spec is not None:
                    break
        if spec is not None and spec.loader is not None:
            spec.loader = _ThenLoader(spec.loader, self.after)
        return spec


def after_import(name, after):
    """Run `after()` once `name` is imported: now if it already is, else right after it loads."""
    if name in sys.modules:
        after()
    else:
        sys.meta_path.insert(0, _AfterImport(name, after))


def prefer_shims(shim_dir):
    """Install the finder first on sys.meta_path and drop any real boto3 already imported."""
    for finder in list(sys.meta_path):
        if isinstance(finder, ShimFinder):
            sys.meta_path.remove(finder)
    sys.meta_path.insert(0, ShimFinder(shim_dir))
    for name in list(sys.modules):
        top = name.partition(".")[0]
        module = sys.modules[name]
        if top in SHIMMED and not (getattr(module, "__file__", None) or "").startswith(shim_dir.rstrip("/") + "/"):
            del sys.modules[name]


def _moved(path, mounts):
    for mount, target in mounts.items():
        if path == mount or path.startswith(mount + "/"):
            return target + path[len(mount) :] if target else None
    return path


def remap_paths(mounts, drop=()):
    """Rewrite build mounts to run-time paths: `mounts` maps a mount (`/0`) to its place at
    run time (`/var/task`), or to None when it has none; `drop` are more sys.path entries that
    do not exist at run time."""
    # (Before sys.path moves: it imports importlib.metadata, which must still be found.)
    importlib.invalidate_caches()
    new_path = []
    for entry in sys.path:
        moved = _moved(entry, mounts)
        if moved is not None and entry not in drop and moved not in new_path:
            new_path.append(moved)
    sys.path[:] = new_path
    for module in list(sys.modules.values()):
        name = getattr(module, "__file__", None)
        if isinstance(name, str):
            moved = _moved(name, mounts)
            if moved is not None and moved != name:
                try:
                    module.__file__ = moved
                    if getattr(module, "__cached__", None):
                        module.__cached__ = None
                    spec = getattr(module, "__spec__", None)
                    if spec is not None and spec.origin == name:
                        spec.origin = moved
                except (AttributeError, TypeError):
                    pass
        search = getattr(module, "__path__", None)
        if isinstance(search, list):
            search[:] = [p for p in (_moved(p, mounts) for p in search) if p is not None]
    sys.path_importer_cache.clear()
    for finder in sys.meta_path:
        if isinstance(finder, ShimFinder):
            # Shims stay importable where the runtime mounts them (/var/runtime); else only
            # what the snapshot holds.
            moved = _moved(finder.shim_dir, mounts)
            if moved is None or moved == finder.shim_dir:
                finder.packaged = True
            else:
                finder.shim_dir = moved


def reset_tempdir():
    """Let `tempfile` choose its directory (and name sequence) again at run time."""
    tempfile = sys.modules.get("tempfile")
    if tempfile is not None:
        tempfile.tempdir = None
        tempfile._name_sequence = None


# Directories of the standard library a function never needs at run time.
_NOT_HARVESTED = {"__pycache__", "ensurepip", "idlelib", "site-packages", "test", "tests", "tkinter", "turtledemo"}


def harvest_stdlib(dest):
    """Copy the standard library this interpreter runs (componentize-py mounts it at `/python`
    while packaging) to `dest/lib/python3.x`, and compile it: the generic runtime imports from
    this copy at run time (at `/var/lang/lib/python3.x`, as on Lambda)."""
    import compileall
    import os
    import shutil

    # (os is frozen: its __file__ names where the library would be, not where it is.)
    stdlib = next(p for p in sys.path if os.path.isfile(os.path.join(p, "os.py")))
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    target = os.path.join(dest, "lib", version)
    shutil.copytree(
        stdlib,
        target,
        ignore=lambda _dir, names: [n for n in names if n in _NOT_HARVESTED or n.endswith(".pyc")],
        dirs_exist_ok=True,
    )
    compileall.compile_dir(target, quiet=2, workers=1)
