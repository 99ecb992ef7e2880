"""Keeping old call forms working while the public grammar moves on (private).

Public functions take ``data`` positionally and everything else by keyword.
:func:`keyword_only` lets a function whose options used to be positional keep
accepting the old positional form for a while, with a ``FutureWarning`` that
shows the new call.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

__all__ = ["keyword_only"]

F = TypeVar("F", bound=Callable[..., Any])


def keyword_only(
    *names: str, renamed: Mapping[str, str] | None = None
) -> Callable[[F], F]:
    """Accept the deprecated positional form of the keyword-only ``names``.

    Parameters
    ----------
    *names : str
        The options, in their old positional order after ``data``.
    renamed : mapping, optional
        Old keyword names to new ones (e.g. ``{"events": "data"}``).

    Examples
    --------
    >>> @keyword_only("as_of")
    ... def f(data, *, as_of=None):
    ...     return data, as_of
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     f(1, "2026-10-31")
    (1, '2026-10-31')
    >>> print(str(caught[0].message).split(": ")[-1])
    call f(data, as_of='2026-10-31').
    """
    old_names = dict(renamed or {})

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for old, new in old_names.items():
                if old in kwargs:
                    value = kwargs.pop(old)
                    if new == "data" and not args:
                        args = (value,)
                    else:
                        kwargs[new] = value
                    warnings.warn(
                        f"{func.__name__}: {old}= is now {new}=.",
                        FutureWarning,
                        stacklevel=2,
                    )
            if len(args) > 1:
                extra = args[1:]
                if len(extra) > len(names):
                    raise TypeError(
                        f"{func.__name__}() takes data and then keywords only; got "
                        f"{len(args)} positional arguments."
                    )
                given = dict(zip(names, extra, strict=False))
                clash = [n for n in given if n in kwargs]
                if clash:
                    raise TypeError(
                        f"{func.__name__}() got {clash[0]!r} by position and keyword."
                    )
                shown = ", ".join(f"{k}={v!r}" for k, v in given.items())
                warnings.warn(
                    f"{func.__name__}(data, {', '.join(f'{k}=...' for k in given)}) "
                    f"takes {', '.join(given)} by keyword; passing "
                    f"{'it' if len(given) == 1 else 'them'} by position is "
                    f"deprecated: call {func.__name__}(data, {shown}).",
                    FutureWarning,
                    stacklevel=2,
                )
                kwargs.update(given)
                args = args[:1]
            return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
