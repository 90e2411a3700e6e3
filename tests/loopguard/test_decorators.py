"""fail_on / strict / lenient / ignore_loop and resolve_checks precedence."""

from __future__ import annotations

import unittest
import warnings

import pytest

from aiotestkit_loopguard import (
    LoopGuard,
    fail_on,
    ignore_loop,
    known_checks,
    lenient,
    resolve_checks,
    strict,
)

BUILTIN = (
    "unused_loop",
    "active_handles",
    "active_selector_callbacks",
    "leftover_tasks",
    "loop_exceptions",
    "unawaited_coroutines",
    "unclosed_resources",
    "forbidden_get_event_loop",
)


def test_builtin_checks_are_all_off_by_default() -> None:
    checks = known_checks()
    for name in BUILTIN:
        assert checks[name] is False


def test_unknown_check_name_is_a_type_error_at_decoration() -> None:
    with pytest.raises(TypeError, match=r"'no_such_check'.*known checks: unused_loop"):
        fail_on(no_such_check=True)


def test_fail_on_without_parentheses_says_how_to_use_it() -> None:
    def test_x() -> None:
        pass

    with pytest.raises(
        TypeError, match=r"keyword arguments, e\.g\. @fail_on\(active_handles=True\)"
    ):
        fail_on(test_x)  # type: ignore[arg-type]


def test_non_boolean_value_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="must be True or False, got 1"):
        fail_on(active_handles=1)  # type: ignore[arg-type]


def test_decorating_a_non_callable_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="test methods and test classes"):
        fail_on(active_handles=True)(42)


@fail_on(active_handles=True, unused_loop=True)
class Base(unittest.TestCase):
    def test_inherits(self) -> None:
        pass

    @fail_on(active_handles=False)
    def test_method_wins(self) -> None:
        pass

    @strict
    def test_strict(self) -> None:
        pass

    @fail_on(leftover_tasks=False)
    @strict()
    def test_outer_wins(self) -> None:
        pass

    @ignore_loop
    def test_ignore_loop(self) -> None:
        pass


@fail_on(unused_loop=False, leftover_tasks=True)
class Child(Base):
    @lenient
    def test_lenient(self) -> None:
        pass


class Plain(unittest.TestCase):
    @ignore_loop()
    def test_x(self) -> None:
        pass


def test_class_checks_apply_to_methods() -> None:
    checks = resolve_checks(Base, Base.test_inherits)
    assert checks["active_handles"] is True
    assert checks["unused_loop"] is True
    assert checks["leftover_tasks"] is False


def test_method_wins_over_class() -> None:
    assert resolve_checks(Base, Base.test_method_wins)["active_handles"] is False


def test_subclass_wins_and_base_is_not_modified() -> None:
    child = resolve_checks(Child, "test_inherits")
    assert child["unused_loop"] is False
    assert child["leftover_tasks"] is True
    assert child["active_handles"] is True  # inherited from Base
    base = resolve_checks(Base, "test_inherits")
    assert base["unused_loop"] is True
    assert base["leftover_tasks"] is False


def test_no_per_function_caching() -> None:
    # asynctest cached the first result per function: the order of these calls mattered.
    for _ in range(2):
        assert resolve_checks(Child, Base.test_method_wins)["leftover_tasks"] is True
        assert resolve_checks(Base, Base.test_method_wins)["leftover_tasks"] is False


def test_strict_turns_everything_on() -> None:
    checks = resolve_checks(Base, Base.test_strict)
    assert all(checks[name] for name in BUILTIN)


def test_stacked_decorators_outermost_wins() -> None:
    checks = resolve_checks(Base, Base.test_outer_wins)
    assert checks["leftover_tasks"] is False
    assert checks["active_handles"] is True


def test_lenient_turns_everything_off() -> None:
    checks = resolve_checks(Child, Child.test_lenient)
    assert not any(checks.values())


def test_ignore_loop_with_and_without_parentheses() -> None:
    assert resolve_checks(Base, Base.test_ignore_loop)["unused_loop"] is False
    assert resolve_checks(Plain, Plain.test_x)["unused_loop"] is False


def test_bound_method_and_instance() -> None:
    case = Base("test_method_wins")
    assert resolve_checks(type(case), case.test_method_wins)["active_handles"] is False


def test_resolve_checks_needs_a_class() -> None:
    with pytest.raises(TypeError, match="needs a test class"):
        resolve_checks(Base("test_inherits"), None)  # type: ignore[arg-type]


def test_class_decorators_stack_on_one_class() -> None:
    @fail_on(active_handles=False)
    @strict
    class Case(unittest.TestCase):
        pass

    checks = resolve_checks(Case, None)
    assert checks["active_handles"] is False
    assert checks["leftover_tasks"] is True


def test_results_do_not_depend_on_test_order() -> None:
    # asynctest cached the checks of a decorated method on the function: a method inherited by
    # two classes with different class-level fail_on got whichever result was computed first,
    # so Base-then-Child and Child-then-Base gave different outcomes.
    class Guarded(unittest.TestCase):
        def setUp(self) -> None:
            self.guard = LoopGuard()
            self.loop = self.guard.start()
            self.addCleanup(self.guard.close)

        def tearDown(self) -> None:
            method = getattr(self, self._testMethodName)
            self.guard.assert_clean(resolve_checks(type(self), method))

    @fail_on(active_handles=True)
    class OrderBase(Guarded):
        @fail_on(unused_loop=False)
        def test_leaks_a_timer(self) -> None:
            self.loop.call_later(10, print)

    @fail_on(active_handles=False)
    class OrderChild(OrderBase):
        pass

    def outcome(*classes: type[unittest.TestCase]) -> dict[str, bool]:
        result = unittest.TestResult()
        unittest.TestSuite(cls("test_leaks_a_timer") for cls in classes).run(result)
        failed = {type(test).__name__ for test, _ in result.errors + result.failures}
        return {cls.__name__: cls.__name__ not in failed for cls in classes}

    expected = {"OrderBase": False, "OrderChild": True}
    assert outcome(OrderBase, OrderChild) == expected
    assert outcome(OrderChild, OrderBase) == expected
    assert outcome(OrderChild, OrderBase, OrderChild) == expected


def test_ignore_loop_never_warns() -> None:
    # asynctest deprecated ignore_loop with a DeprecationWarning at decoration time, i.e. at
    # import: under -W error that breaks the import of a whole migrated test module.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")

        @ignore_loop
        def test_a() -> None:
            pass

        @ignore_loop()
        class Case(unittest.TestCase):
            pass

    assert caught == []
    assert resolve_checks(Case, test_a)["unused_loop"] is False
    assert resolve_checks(Case, None)["unused_loop"] is False
