"""`HTTPHeaderDict`: headers as a case-insensitive mapping that keeps repeated fields."""

from collections.abc import Mapping, MutableMapping


class HTTPHeaderDict(MutableMapping):
    """urllib3's header dict: `d["Content-Type"] == d["content-type"]`; a repeated field reads
    as its values joined with ", " and `getlist()` gives them apart; the case of the first
    spelling is kept for iteration."""

    def __init__(self, headers=None, **kwargs):
        self._container = {}  # lower-case name -> [name as first given, value, value, ...]
        if headers is not None:
            if isinstance(headers, HTTPHeaderDict):
                self._copy_from(headers)
            else:
                self.extend(headers)
        if kwargs:
            self.extend(kwargs)

    def _copy_from(self, other):
        for key in other._container:
            self._container[key] = list(other._container[key])

    def __setitem__(self, key, val):
        if isinstance(key, bytes):
            key = key.decode("latin-1")
        self._container[key.lower()] = [key, val]

    def __getitem__(self, key):
        val = self._container[key.lower()]
        return ", ".join(val[1:])

    def __delitem__(self, key):
        del self._container[key.lower()]

    def __contains__(self, key):
        return isinstance(key, str) and key.lower() in self._container

    def setdefault(self, key, default=""):
        return super().setdefault(key, default)

    def __eq__(self, other):
        if not isinstance(other, Mapping) and not hasattr(other, "keys"):
            return False
        if not isinstance(other, HTTPHeaderDict):
            other = type(self)(other)
        return {k.lower(): v for k, v in self.itermerged()} == {k.lower(): v for k, v in other.itermerged()}

    def __ne__(self, other):
        return not self.__eq__(other)

    def __len__(self):
        return len(self._container)

    def __iter__(self):
        for vals in self._container.values():
            yield vals[0]

    def discard(self, key):
        try:
            del self[key]
        except KeyError:
            pass

    def add(self, key, val, *, combine=False):
        """Add a value for `key`, keeping any earlier ones (`combine`: join into the last)."""
        key_lower = key.lower()
        new_vals = [key, val]
        vals = self._container.setdefault(key_lower, new_vals)
        if new_vals is not vals:
            if combine:
                vals[-1] = vals[-1] + ", " + val
            else:
                vals.append(val)

    def extend(self, *args, **kwargs):
        """Add the fields of a mapping, an HTTPHeaderDict or a list of pairs."""
        if len(args) > 1:
            raise TypeError(f"extend() takes at most 1 positional argument ({len(args)} given)")
        other = args[0] if args else ()
        if isinstance(other, HTTPHeaderDict):
            for key, val in other.iteritems():
                self.add(key, val)
        elif isinstance(other, Mapping):
            for key, val in other.items():
                self.add(key, val)
        elif hasattr(other, "keys"):
            for key in other.keys():
                self.add(key, other[key])
        else:
            for key, value in other:
                self.add(key, value)
        for key, value in kwargs.items():
            self.add(key, value)

    def getlist(self, key, default=None):
        """Every value of `key`, in order (`default`, or [], when absent)."""
        try:
            vals = self._container[key.lower()]
        except KeyError:
            return [] if default is None else default
        return vals[1:]

    getheaders = getlist
    getallmatchingheaders = getlist
    iget = getlist
    get_all = getlist

    def __repr__(self):
        return f"{type(self).__name__}({dict(self.itermerged())})"

    def copy(self):
        clone = type(self)()
        clone._copy_from(self)
        return clone

    def iteritems(self):
        """Each (name, value) pair, a repeated field once per value."""
        for key in self:
            vals = self._container[key.lower()]
            for val in vals[1:]:
                yield vals[0], val

    def itermerged(self):
        """Each (name, values joined with ", ")."""
        for key in self:
            val = self._container[key.lower()]
            yield val[0], ", ".join(val[1:])

    def items(self):
        return list(self.iteritems())

    def _has_value_for_header(self, header_name, potential_value):
        return header_name in self and potential_value in self._container[header_name.lower()][1:]

    def _prepare_for_method_change(self):
        """Drop the body's headers when a redirect (303) turns the request into a GET."""
        for header in ("Content-Encoding", "Content-Language", "Content-Location", "Content-Type", "Content-Length", "Digest", "Last-Modified"):
            self.discard(header)
        return self


class RecentlyUsedContainer(dict):
    """Stand-in for urllib3's pool cache (no pools to keep inside fnhost)."""

    def __init__(self, maxsize=10, dispose_func=None):
        super().__init__()
        self._maxsize = maxsize
        self.dispose_func = dispose_func
