"""``patch`` with scopes: GLOBAL (the stdlib's behaviour) or LIMITED to a running coroutine.

Prior art: asynctest's ``patch`` (its ``scope`` argument and, on its unreleased master, fresh
patchers for each call of a decorated coroutine). The stdlib's own ``patch`` is used for the actual
patching; this module decides *when* it is active and which mock class it creates:

- the mock class is chosen when the patch starts, from the value it replaces (a coroutine
  function gets a ``CoroutineMock``, anything else a ``MagicMock``), not at decoration time;
- each call of a decorated function builds its own stdlib patchers, so overlapping calls of one
  decorated coroutine work and calls never accumulate on a mock shared across tests;
- ``LIMITED`` wraps the coroutine (or generator) in a trampoline that enters the patch before each
  step (``send``/``throw``) and leaves it when the step suspends, so other tasks see the original.
  The trampoline hides the inner coroutine from 3.14's call-graph introspection
  (``asyncio.capture_call_graph`` stops at the wrapper);
- an async generator function is wrapped in an async generator that forwards ``asend``/
  ``athrow``/``aclose`` to the inner one: ``GLOBAL`` patches are entered at its first step and left
  when it finishes or is closed; with ``LIMITED`` each forwarded step goes through the trampoline.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import inspect
import pkgutil
import sys
import types
import unittest.mock
from collections.abc import (
    AsyncGenerator,
    Callable,
    Generator,
    Iterable,
    Mapping,
    MutableMapping,
)
from typing import Any, NamedTuple

from ._mock import (
    CoroutineMock,
    MagicMock,
    NonCallableMagicMock,
    _autospec_coroutine,
    create_autospec,
)

__all__ = ("GLOBAL", "LIMITED", "PatchScope", "patch")

DEFAULT = unittest.mock.DEFAULT


class PatchScope(enum.Enum):
    """When a patch decorating a coroutine, generator or async generator function is active."""

    LIMITED = 1
    """Only while the coroutine (or generator) executes; never while it is suspended."""
    GLOBAL = 2
    """From its first step until the coroutine (or generator) finishes, also while suspended."""


LIMITED = PatchScope.LIMITED
GLOBAL = PatchScope.GLOBAL

_LIMITED_NEEDS_COROUTINE = (
    "scope=LIMITED patches only a coroutine function, a generator function or an async "
    "generator function, whose execution can be suspended; {target!r} is none of them. Use the "
    "default scope=GLOBAL for it"
)


def _check_scope(scope: object) -> PatchScope:
    if not isinstance(scope, PatchScope):
        msg = f"scope must be aiotestkit_fakeio.GLOBAL or aiotestkit_fakeio.LIMITED, got {scope!r}"
        raise TypeError(msg)
    return scope


def _is_coroutine_value(value: Any) -> bool:
    if isinstance(value, (classmethod, staticmethod)):
        value = value.__func__
    return inspect.iscoroutinefunction(value)


def _mock_class_for(original: Any, spec: Any, spec_set: Any) -> type[Any]:
    """The class the stdlib would pick, with aiotestkit's coroutine-aware classes."""
    this_spec = spec_set if spec_set not in (None, False, True) else spec
    if this_spec in (None, False, True):
        this_spec = original if (spec is True or spec_set is True) else None
    if this_spec is None:
        return CoroutineMock if _is_coroutine_value(original) else MagicMock
    if _is_coroutine_value(this_spec):
        return CoroutineMock
    if isinstance(this_spec, list):
        return MagicMock if "__call__" in this_spec else NonCallableMagicMock
    return MagicMock if callable(this_spec) else NonCallableMagicMock


class _Patch:
    """Base of the patchers ``patch`` returns: a decorator and a context manager.

    Subclasses build fresh stdlib patchers on demand (``_fresh``), so each start, each ``with``
    and each call of a decorated function uses its own.
    """

    def __init__(self, scope: PatchScope) -> None:
        self.scope = _check_scope(scope)
        self._started: list[Any] = []

    # Building stdlib patchers ----------------------------------------------------------------

    def _fresh(self) -> Any:
        """A new stdlib patcher for this patch (decided now, when the patch starts)."""
        raise NotImplementedError

    def _reentry(self, entered: Any) -> Callable[[], contextlib.AbstractContextManager[Any]]:
        """For LIMITED: re-apply the same replacement ``entered`` at each step."""
        raise NotImplementedError

    def _as_keyword(self) -> bool:
        """Whether a decorated function receives the new value as keywords (patch.multiple)."""
        return False

    # Context manager and start/stop ----------------------------------------------------------

    def __enter__(self) -> Any:
        patcher = self._fresh()
        result = patcher.__enter__()
        self._started.append(patcher)
        return result

    def __exit__(self, *exc_info: Any) -> Any:
        return self._started.pop().__exit__(*exc_info)

    def start(self) -> Any:
        """Start the patch; ``stop()`` or ``patch.stopall()`` undoes it."""
        patcher = self._fresh()
        result = patcher.start()
        self._started.append(patcher)
        return result

    def stop(self) -> Any:
        """Undo the most recent ``start()``."""
        if not self._started:
            return None
        return self._started.pop().stop()

    # Decorator -------------------------------------------------------------------------------

    def copy(self) -> _Patch:
        """A patch with the same settings (used to decorate each method of a class)."""
        raise NotImplementedError

    def __call__(self, target: Any) -> Any:
        if isinstance(target, type):
            return self._decorate_class(target)
        return _decorate(target, self)

    def _decorate_class(self, klass: type[Any]) -> type[Any]:
        prefix = patch.TEST_PREFIX
        for name in dir(klass):
            if not name.startswith(prefix):
                continue
            value = getattr(klass, name)
            if callable(value) and not isinstance(value, type):
                # The scope carries over to each method. A plain (sync) test method is never
                # suspended, so LIMITED simply covers its whole call there.
                setattr(klass, name, _decorate(value, self.copy(), in_class=True))
        return klass


class _Replacement(NamedTuple):
    """The arguments of ``patch``/``patch.object`` after the target: what replaces the value."""

    new: Any
    spec: Any
    create: bool
    spec_set: Any
    autospec: Any
    new_callable: Any
    kwargs: Mapping[str, Any]
    """Passed to the mock's constructor (never modified)."""


class _AttributePatch(_Patch):
    """``patch(target)`` and ``patch.object(target, attribute)``."""

    def __init__(
        self,
        getter: Callable[[], Any],
        attribute: str,
        scope: PatchScope,
        replacement: _Replacement,
    ) -> None:
        super().__init__(scope)
        if replacement.new_callable is not None:
            if replacement.new is not DEFAULT:
                msg = "Cannot use 'new' and 'new_callable' together"
                raise ValueError(msg)
            if replacement.autospec is not None:
                msg = "Cannot use 'autospec' and 'new_callable' together"
                raise ValueError(msg)
        self._getter = getter
        self.attribute = attribute
        self._replacement = replacement

    @property
    def attribute_name(self) -> str | None:
        """None: the new value is passed positionally (read by pytest, like the stdlib's)."""
        return None

    @property
    def new(self) -> Any:
        """The replacement given to ``patch``, or ``DEFAULT`` (read by pytest)."""
        return self._replacement.new

    def copy(self) -> _AttributePatch:
        return _AttributePatch(self._getter, self.attribute, self.scope, self._replacement)

    def _fresh(self) -> Any:
        target = self._getter()
        new, spec, create, spec_set, autospec, new_callable, kwargs = self._replacement
        if new is DEFAULT and autospec in (None, False) and new_callable is None:
            original = getattr(target, self.attribute, DEFAULT)
            if original is DEFAULT and not create:
                # Let the stdlib raise its usual AttributeError.
                new_callable = MagicMock
            else:
                new_callable = _mock_class_for(original, spec, spec_set)
        elif new is DEFAULT and autospec not in (None, False):
            original = getattr(target, self.attribute, DEFAULT)
            if original is DEFAULT:
                msg = f"Can't use 'autospec' with create=True or a missing {self.attribute!r}"
                raise TypeError(msg)
            source = original if autospec is True else autospec
            raw = inspect.getattr_static(target, self.attribute, None)
            if (
                isinstance(target, type)
                and isinstance(raw, types.FunctionType)
                and inspect.iscoroutinefunction(source)
            ):
                # A coroutine method on a class: the mock must bind to instances.
                new = _autospec_coroutine(
                    source, skip_first=False, name=self.attribute, method=True
                )
            else:
                new = create_autospec(
                    source, spec_set=bool(spec_set), _name=self.attribute, **kwargs
                )
            autospec = spec_set = None
            kwargs = {}
        return unittest.mock.patch.object(
            target,
            self.attribute,
            new=new,
            spec=spec,
            create=create,
            spec_set=spec_set,
            autospec=autospec,
            new_callable=new_callable,
            **kwargs,
        )

    def _reentry(self, entered: Any) -> Callable[[], contextlib.AbstractContextManager[Any]]:
        places = [(self._getter(), self.attribute, entered)]
        return functools.partial(_layered, places, False)


class _MultiplePatch(_Patch):
    """``patch.multiple(target, **attributes)``."""

    def __init__(self, getter: Callable[[], Any], parts: list[_AttributePatch]) -> None:
        super().__init__(parts[0].scope)
        self._getter = getter
        self._parts = parts

    # Read by pytest: the values are passed as keywords, not positionally.
    attribute_name = "multiple"
    new = None

    def copy(self) -> _MultiplePatch:
        return _MultiplePatch(self._getter, [part.copy() for part in self._parts])

    def _as_keyword(self) -> bool:
        return True

    def _fresh(self) -> Any:
        return _MultipleStdlib([part._fresh() for part in self._parts], self._parts)

    def _reentry(self, entered: Any) -> Callable[[], contextlib.AbstractContextManager[Any]]:
        target = self._getter()
        places = [(target, part.attribute, entered.all[part.attribute]) for part in self._parts]
        return functools.partial(_layered, places, False)


class _MultipleEntered(dict[str, Any]):
    """What entering ``patch.multiple`` gives: the DEFAULT-made mocks by name (``.all``: all)."""

    all: dict[str, Any]


class _MultipleStdlib:
    """Several stdlib patchers entered and exited together, like ``patch.multiple``."""

    def __init__(self, patchers: list[Any], parts: list[_AttributePatch]) -> None:
        self._patchers = patchers
        self._parts = parts
        self._stack: contextlib.ExitStack | None = None

    def __enter__(self) -> _MultipleEntered:
        result = _MultipleEntered()
        result.all = {}
        with contextlib.ExitStack() as stack:
            for part, patcher in zip(self._parts, self._patchers, strict=True):
                value = stack.enter_context(patcher)
                result.all[part.attribute] = value
                if part.new is DEFAULT:
                    result[part.attribute] = value
            self._stack = stack.pop_all()
        return result

    def __exit__(self, *exc_info: Any) -> Any:
        stack, self._stack = self._stack, None
        return stack.__exit__(*exc_info) if stack is not None else False

    def start(self) -> _MultipleEntered:
        # Each part is started on its own, so patch.stopall() finds them all.
        result = _MultipleEntered()
        result.all = {}
        for part, patcher in zip(self._parts, self._patchers, strict=True):
            value = patcher.start()
            result.all[part.attribute] = value
            if part.new is DEFAULT:
                result[part.attribute] = value
        return result

    def stop(self) -> Any:
        for patcher in reversed(self._patchers):
            patcher.stop()
        return None


class _DictPatch(_Patch):
    """``patch.dict(in_dict, values, clear)``."""

    def __init__(
        self,
        in_dict: Any,
        values: Any,
        clear: bool,
        scope: PatchScope,
        kwargs: dict[str, Any],
    ) -> None:
        super().__init__(scope)
        self._in_dict = in_dict
        self._values = values
        self._clear = clear
        self._kwargs = kwargs

    def copy(self) -> _DictPatch:
        return _DictPatch(self._in_dict, self._values, self._clear, self.scope, dict(self._kwargs))

    def _fresh(self) -> Any:
        return unittest.mock.patch.dict(self._in_dict, self._values, self._clear, **self._kwargs)

    def _target(self) -> MutableMapping[Any, Any]:
        in_dict = self._in_dict
        if isinstance(in_dict, str):
            in_dict = pkgutil.resolve_name(in_dict)
        return in_dict  # type: ignore[no-any-return]

    def _all_values(self) -> dict[Any, Any]:
        values = dict(self._values) if self._values else {}
        values.update(self._kwargs)
        return values

    def _limited(self) -> _LimitedDict:
        return _LimitedDict(self._target(), self._all_values(), self._clear)

    @contextlib.contextmanager
    def _global_layers(self) -> Generator[None, None, None]:
        """The values as layers for one call; the whole dict is restored by the last layer.

        Like the stdlib's ``patch.dict``, what the call adds, deletes or changes is undone too,
        not only the patched keys. While calls overlap, each one that ends gives the patched keys
        back to the remaining layers (their own changes stay until the last one ends).
        """
        target = self._target()
        places = [(target, key, value) for key, value in self._all_values().items()]
        snapshot = _DictSnapshot.take(target)
        try:
            with _layered(places, True):
                yield
        finally:
            snapshot.release()


class _LimitedDict:
    """The steps of a LIMITED ``patch.dict``: apply on resume, restore on suspend.

    What the coroutine changes in the dict while it runs is remembered and re-applied at the next
    resume; what others (including a GLOBAL patch of the same dict) changed meanwhile is kept
    outside the coroutine's steps.
    """

    def __init__(self, target: MutableMapping[Any, Any], values: dict[Any, Any], clear: bool):
        self._target = target
        self._values = values
        self._deleted: set[Any] = set()
        self._clear = clear

    @contextlib.contextmanager
    def step(self) -> Generator[None, None, None]:
        target = self._target
        outside = dict(target)
        if self._clear:
            target.clear()
        target.update(self._values)
        for key in self._deleted:
            target.pop(key, None)
        applied = dict(target)
        try:
            yield
        finally:
            inside = dict(target)
            for key, value in inside.items():
                if key not in applied or applied[key] is not value:
                    self._values[key] = value
                    self._deleted.discard(key)
            for key in applied.keys() - inside.keys():
                self._values.pop(key, None)
                self._deleted.add(key)
            target.clear()
            target.update(outside)


_MISSING: Any = object()


class _DictSnapshot:
    """The content of a dict before the first of the GLOBAL layers patching it, shared by them.

    The last layer to end puts the whole content back, as the stdlib's ``patch.dict`` does.
    """

    _by_id: dict[int, _DictSnapshot] = {}  # noqa: RUF012 (a registry, shared on purpose)

    def __init__(self, target: MutableMapping[Any, Any]) -> None:
        self.target = target
        self.content = dict(target)
        self.users = 0

    @classmethod
    def take(cls, target: MutableMapping[Any, Any]) -> _DictSnapshot:
        """The snapshot of ``target``: taken now unless a layer is already active on it."""
        snapshot = cls._by_id.get(id(target))
        if snapshot is None:
            snapshot = cls._by_id[id(target)] = cls(target)
        snapshot.users += 1
        return snapshot

    def release(self) -> None:
        """One layer ended; the last one restores the content."""
        self.users -= 1
        if self.users:
            return
        if self._by_id.get(id(self.target)) is self:
            del self._by_id[id(self.target)]
        self.target.clear()
        self.target.update(self.content)


class _Slot:
    """One patched place (an attribute or a dict key) and the values layered on it.

    Patches of decorated functions may end in any order when invocations overlap (two tasks
    running one decorated coroutine). A stack of layers per place restores what the remaining
    layers expect, and the original value once the last layer ends, whatever the order.
    """

    def __init__(
        self, get: Callable[[], Any], set_: Callable[[Any], None], reset: Callable[[Any], None]
    ):
        self.original = get()
        self.layers: list[tuple[object, Any]] = []
        self._set = set_
        self._reset = reset

    def push(self, token: object, value: Any) -> None:
        self.layers.append((token, value))
        self._set(value)

    def pop(self, token: object) -> bool:
        """Remove a layer; True when it was the last one and the original is back."""
        self.layers = [(t, v) for t, v in self.layers if t is not token]
        if self.layers:
            self._set(self.layers[-1][1])
            return False
        self._reset(self.original)
        return True


_slots: dict[tuple[int, Any], _Slot] = {}


def _attribute_slot(target: Any, attribute: str) -> _Slot:
    local = attribute in getattr(target, "__dict__", {})

    def get() -> Any:
        # The raw class attribute keeps staticmethod/classmethod wrappers intact.
        return vars(target)[attribute] if local else getattr(target, attribute, _MISSING)

    def reset(original: Any) -> None:
        if local:
            setattr(target, attribute, original)
            return
        try:
            delattr(target, attribute)
        except AttributeError:
            if original is not _MISSING:
                setattr(target, attribute, original)

    return _Slot(get, functools.partial(setattr, target, attribute), reset)


def _item_slot(target: MutableMapping[Any, Any], key: Any) -> _Slot:
    def reset(original: Any) -> None:
        if original is _MISSING:
            target.pop(key, None)
        else:
            target[key] = original

    return _Slot(
        functools.partial(target.get, key, _MISSING),
        functools.partial(target.__setitem__, key),
        reset,
    )


@contextlib.contextmanager
def _layered(places: list[tuple[Any, Any, Any]], is_item: bool) -> Generator[None, None, None]:
    """Apply ``(target, name, value)`` layers for the duration of the block."""
    token = object()
    pushed: list[tuple[tuple[int, Any], _Slot]] = []
    try:
        for target, name, value in places:
            key = (id(target), name)
            slot = _slots.get(key)
            if slot is None:
                slot = _item_slot(target, name) if is_item else _attribute_slot(target, name)
                _slots[key] = slot
            slot.push(token, value)
            pushed.append((key, slot))
        yield
    finally:
        for key, slot in reversed(pushed):
            if slot.pop(token) and _slots.get(key) is slot:
                del _slots[key]


def _drive(
    inner: Any, step: Callable[[], contextlib.AbstractContextManager[Any]]
) -> Generator[Any, Any, Any]:
    """Run ``inner`` one step at a time inside ``step()``.

    ``inner`` is a coroutine, a generator, or the awaitable of one async generator step
    (``asend``/``athrow``/``aclose``).

    Yielded values (futures for asyncio, items for generators) pass through unchanged; values
    and exceptions sent in (including ``GeneratorExit`` on close and ``CancelledError``) go to
    ``inner`` with the patches active.
    """
    value: Any = None
    error: BaseException | None = None
    while True:
        with step():
            try:
                yielded = inner.send(value) if error is None else inner.throw(error)
            except StopIteration as stop:
                return stop.value
        try:
            value, error = (yield yielded), None
        except BaseException as exc:  # resumed by throw() or close(): forward it
            value, error = None, exc


class _Steps:
    """``await`` on it drives a coroutine through ``_drive``."""

    def __init__(self, coro: Any, step: Callable[[], contextlib.AbstractContextManager[Any]]):
        self._coro = coro
        self._step = step

    def __await__(self) -> Generator[Any, Any, Any]:
        return _drive(self._coro, self._step)


class _Invocation:
    """One call of a decorated function: its patches and the call of the original function.

    Entering it builds fresh patchers, enters the GLOBAL ones (left on exit) and prepares the
    LIMITED ones for ``step()``.
    """

    def __init__(
        self,
        patchings: tuple[_Patch, ...],
        func: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> None:
        self._patchings = patchings
        self._func = func
        self._args = args
        self._kwargs = kwargs
        self._limited: list[Callable[[], contextlib.AbstractContextManager[Any]]] = []
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> _Invocation:
        with contextlib.ExitStack() as stack:
            extra_args, extra_kwargs = self._enter(stack)
            self._stack = stack.pop_all()  # if a patch fails, the earlier ones are undone
        self._args = (*self._args, *extra_args)
        self._kwargs = {**self._kwargs, **extra_kwargs}
        return self

    def __exit__(self, *exc_info: Any) -> Any:
        return self._stack.__exit__(*exc_info)

    def _enter(self, stack: contextlib.ExitStack) -> tuple[list[Any], dict[str, Any]]:
        """Enter GLOBAL patches on ``stack``, prepare LIMITED ones; return the extra arguments."""
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for patching in self._patchings:
            if isinstance(patching, _DictPatch):
                if patching.scope is LIMITED:
                    self._limited.append(patching._limited().step)
                elif patching._clear:
                    stack.enter_context(patching._fresh())
                else:
                    stack.enter_context(patching._global_layers())
                continue
            # Enter once to build the replacement (a fresh mock); then apply it as a layer, for
            # the whole call (GLOBAL) or at every step (LIMITED).
            with patching._fresh() as entered:
                pass
            apply = patching._reentry(entered)
            if patching.scope is GLOBAL:
                stack.enter_context(apply())
            else:
                self._limited.append(apply)
            if patching._as_keyword():
                kwargs.update(entered)
            elif isinstance(patching, _AttributePatch) and patching.new is DEFAULT:
                args.append(entered)
        return args, kwargs

    def call(self) -> Any:
        """Call the original function with the caller's arguments and the mock arguments."""
        return self._func(*self._args, **self._kwargs)

    @contextlib.contextmanager
    def step(self) -> Generator[None, None, None]:
        """The LIMITED patches, for one step of the coroutine or generator."""
        with contextlib.ExitStack() as stack:
            for make in self._limited:
                stack.enter_context(make())
            yield

    def run(self, awaitable: Any) -> Any:
        """Await ``awaitable`` with ``step()`` around each of its steps (if any LIMITED patch)."""
        return _Steps(awaitable, self.step) if self._limited else awaitable

    def drive(self, generator: Generator[Any, Any, Any]) -> Generator[Any, Any, Any]:
        """``yield from`` this to run ``generator`` with ``step()`` around each of its steps."""
        return _drive(generator, self.step) if self._limited else generator


def _first_step_untracked(inner: Any) -> Any:
    """``inner.asend(None)``, hiding ``inner`` from the event loop's async generator hooks.

    The hooks are installed by the loop with ``sys.set_asyncgen_hooks`` and run when the first
    step of a generator is *created*. The loop tracks the wrapper, which closes ``inner`` itself
    (inside its LIMITED patches). If the loop tracked ``inner`` too, ``shutdown_asyncgens()``
    would close both at once: the inner cleanup would run outside the patches or fail with
    "asynchronous generator is already running".
    """
    firstiter, finalizer = sys.get_asyncgen_hooks()
    sys.set_asyncgen_hooks(firstiter=None, finalizer=None)
    try:
        return inner.asend(None)
    finally:
        sys.set_asyncgen_hooks(firstiter=firstiter, finalizer=finalizer)


_MIXED_DECORATORS = (
    "{func!r} is decorated with both unittest.mock.patch and aiotestkit_fakeio.patch; their "
    "mock arguments cannot be ordered consistently. Use aiotestkit_fakeio.patch for all of them"
)


class _PytestPatchings(list[Any]):
    """The ``patchings`` attribute of a decorated function, as pytest reads it.

    pytest leaves out of fixture lookup the first ``len(patchings)`` arguments of a function whose
    patchings have a ``DEFAULT`` ``new`` and no ``attribute_name``. ``unittest.mock.patch``
    stacked above an aiotestkit patch would append to it: refuse that clearly.
    """

    def append(self, item: Any) -> None:
        raise TypeError(_MIXED_DECORATORS.format(func="this function"))


def _patchings_of(func: Any) -> tuple[tuple[_Patch, ...], Any]:
    patchings = getattr(func, "_aiotestkit_patchings", None)
    if patchings is None:
        if getattr(func, "patchings", None):
            raise TypeError(_MIXED_DECORATORS.format(func=func))
        return (), func
    return patchings, func._aiotestkit_original


def _decorate(func: Any, patching: _Patch, *, in_class: bool = False) -> Any:
    """Wrap ``func`` so each call applies ``patching`` (and those of inner decorators).

    Args:
        func: the function, coroutine, generator or async generator function to decorate.
        patching: the patch to apply.
        in_class: ``func`` is a test method of a decorated class: ``LIMITED`` is then accepted
            on a plain function (it covers the whole call).
    """
    if not callable(func):
        msg = f"patch can decorate a function or a class, got {func!r}"
        raise TypeError(msg)
    inner_patchings, original = _patchings_of(func)
    # Like the stdlib: stacked decorators share one list; the innermost comes first.
    patchings = (*inner_patchings, patching)
    is_coroutine = inspect.iscoroutinefunction(original)
    is_generator = inspect.isgeneratorfunction(original)
    is_async_generator = inspect.isasyncgenfunction(original)
    suspendable = is_coroutine or is_generator or is_async_generator
    if patching.scope is LIMITED and not (suspendable or in_class):
        raise TypeError(_LIMITED_NEEDS_COROUTINE.format(target=original))

    if is_async_generator:

        @functools.wraps(original)
        async def async_generator_wrapper(*args: Any, **kwargs: Any) -> AsyncGenerator[Any, Any]:
            # The body starts at the first __anext__/asend: GLOBAL patches are entered there and
            # left when the inner generator finishes or is closed (aclose, or the loop's
            # finaliser for an abandoned one).
            with _Invocation(patchings, original, args, kwargs) as invocation:
                inner = invocation.call()
                step = _first_step_untracked(inner)
                while True:
                    try:
                        item = await invocation.run(step)
                    except StopAsyncIteration:
                        return
                    try:
                        sent = yield item
                    except GeneratorExit:
                        # aclose() of the wrapper: the inner generator's cleanup runs as a step.
                        await invocation.run(inner.aclose())
                        raise
                    except BaseException as exc:  # athrow() of the wrapper: forward it
                        step = inner.athrow(exc)
                    else:
                        step = inner.asend(sent)

        wrapper: Any = async_generator_wrapper
    elif is_coroutine:

        @functools.wraps(original)
        async def coroutine_wrapper(*args: Any, **kwargs: Any) -> Any:
            with _Invocation(patchings, original, args, kwargs) as invocation:
                return await invocation.run(invocation.call())

        wrapper = coroutine_wrapper
    elif is_generator:

        @functools.wraps(original)
        def generator_wrapper(*args: Any, **kwargs: Any) -> Any:
            with _Invocation(patchings, original, args, kwargs) as invocation:
                return (yield from invocation.drive(invocation.call()))

        wrapper = generator_wrapper
    else:

        @functools.wraps(original)
        def function_wrapper(*args: Any, **kwargs: Any) -> Any:
            # LIMITED patches (from a decorated class) cover the call: it is one step.
            with _Invocation(patchings, original, args, kwargs) as invocation, invocation.step():
                return invocation.call()

        wrapper = function_wrapper
    wrapper._aiotestkit_patchings = patchings
    wrapper._aiotestkit_original = original
    wrapper.patchings = _PytestPatchings(p for p in patchings if not isinstance(p, _DictPatch))
    # functools.wraps exposes the original signature; the mock arguments are not part of it.
    return wrapper


def _importer(target: str) -> tuple[Callable[[], Any], str]:
    try:
        module_name, attribute = target.rsplit(".", 1)
    except (AttributeError, ValueError):
        msg = f"Need a valid target to patch. You supplied: {target!r}"
        raise TypeError(msg) from None
    return functools.partial(pkgutil.resolve_name, module_name), attribute


class _PatchFunction:
    """The ``patch`` callable, with ``object``, ``multiple``, ``dict`` and ``stopall``."""

    TEST_PREFIX = "test"

    def __call__(
        self,
        target: str,
        new: Any = DEFAULT,
        spec: Any = None,
        create: bool = False,
        spec_set: Any = None,
        autospec: Any = None,
        new_callable: Any = None,
        scope: PatchScope = GLOBAL,
        **kwargs: Any,
    ) -> _Patch:
        """Patch ``target`` ("package.module.attribute"), like ``unittest.mock.patch``.

        With ``new`` left out, the replacement is a ``CoroutineMock`` if the value it replaces is
        a coroutine function, a ``MagicMock`` otherwise, chosen when the patch starts.

        Args:
            target: dotted name of the attribute to patch, imported when the patch starts.
            new: the replacement; a fresh mock per start or per call if left out.
            spec: as in ``unittest.mock.patch``.
            create: as in ``unittest.mock.patch``.
            spec_set: as in ``unittest.mock.patch``.
            autospec: as in ``unittest.mock.patch``, with aiotestkit's ``create_autospec``.
            new_callable: as in ``unittest.mock.patch``.
            scope: ``GLOBAL`` or ``LIMITED`` (for decorated coroutine, generator and async
                generator functions).
            **kwargs: passed to the mock's constructor.

        Raises:
            TypeError: ``scope`` is not a ``PatchScope``, or ``target`` is not dotted.
        """
        getter, attribute = _importer(target)
        replacement = _Replacement(new, spec, create, spec_set, autospec, new_callable, kwargs)
        return _AttributePatch(getter, attribute, scope, replacement)

    def object(
        self,
        target: Any,
        attribute: str,
        new: Any = DEFAULT,
        spec: Any = None,
        create: bool = False,
        spec_set: Any = None,
        autospec: Any = None,
        new_callable: Any = None,
        scope: PatchScope = GLOBAL,
        **kwargs: Any,
    ) -> _Patch:
        """Patch ``attribute`` of the object ``target`` (see ``patch``)."""
        replacement = _Replacement(new, spec, create, spec_set, autospec, new_callable, kwargs)
        return _AttributePatch(functools.partial(_identity, target), attribute, scope, replacement)

    def multiple(
        self,
        target: Any,
        spec: Any = None,
        create: bool = False,
        spec_set: Any = None,
        autospec: Any = None,
        new_callable: Any = None,
        scope: PatchScope = GLOBAL,
        **kwargs: Any,
    ) -> _Patch:
        """Patch several attributes of ``target`` at once; DEFAULT values become mocks.

        A decorated function receives the mocks made for ``DEFAULT`` values as keyword arguments.

        Raises:
            ValueError: no attribute given.
        """
        if not kwargs:
            msg = "patch.multiple needs at least one attribute to patch"
            raise ValueError(msg)
        getter: Callable[[], Any]
        if isinstance(target, str):
            getter = functools.partial(pkgutil.resolve_name, target)
        else:
            getter = functools.partial(_identity, target)
        parts = [
            _AttributePatch(
                getter,
                name,
                scope,
                _Replacement(new, spec, create, spec_set, autospec, new_callable, {}),
            )
            for name, new in kwargs.items()
        ]
        return _MultiplePatch(getter, parts)

    def dict(
        self,
        in_dict: Any,
        values: Mapping[Any, Any] | Iterable[tuple[Any, Any]] = (),
        clear: bool = False,
        scope: PatchScope = GLOBAL,
        **kwargs: Any,
    ) -> _Patch:
        """Patch a dictionary (or a dotted name of one) for a block or a decorated function.

        With ``scope=LIMITED`` on a coroutine, generator or async generator function, the values
        are in the dictionary only while it executes; its own changes are kept for its next step.
        """
        return _DictPatch(in_dict, values, clear, scope, kwargs)

    @staticmethod
    def stopall() -> None:
        """Stop every patch started with ``start()``."""
        unittest.mock.patch.stopall()


def _identity(value: Any) -> Any:
    return value


patch = _PatchFunction()
"""Patch an attribute or a dictionary, as ``unittest.mock.patch``, with an optional ``scope``."""
