"""Every check the suites rely on fails a deliberately broken implementation, with the
reason named, and passes a correct one.

Broken implementations are real modules in a learner folder (tmp_path), loaded
the way a learner's are, and called through the same guarded `Implementation`."""

import textwrap

import numpy as np
import pytest
import torch

from aigc_bench import checks, registry, session
from aigc_bench.implementation import ContractViolation, Implementation, NotImplementedYet

GOOD_SOFTMAX = """
import numpy as np
def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
"""


def learner_impl(tmp_path, skill: str, source: str, name: str = "learner") -> Implementation:
    folder = tmp_path / name
    folder.mkdir(exist_ok=True)
    (folder / f"{skill}.py").write_text(textwrap.dedent(source))
    return Implementation(registry.learner_backend(folder), registry.skills()[skill])


def torch_softmax(x):
    t = torch.from_numpy(x.astype(np.float64))
    return torch.softmax(t, -1).numpy(), torch.softmax(t.float(), -1).numpy()


@pytest.fixture
def x():
    return np.random.default_rng(0).standard_normal((4, 9)).astype(np.float32)


# ------------------------------------------------------------------ the tolerance rule


def test_correct_output_passes(tmp_path, x):
    impl = learner_impl(tmp_path, "softmax", GOOD_SOFTMAX)
    figures = checks.assert_close(impl.softmax(x), *torch_softmax(x), inputs=(x,))
    assert figures["max_abs_error"] <= figures["bound"]


def test_too_far_fails_with_figures_and_replay(tmp_path, x):
    impl = learner_impl(tmp_path, "softmax", GOOD_SOFTMAX.replace("return e / e.sum", "return 1.001 * e / e.sum"))
    session.current = session.TestContext("suites/x/test_y.py::test_z[learner]", seed=1234)
    try:
        with pytest.raises(checks.CheckFailed) as err:
            checks.assert_close(impl.softmax(x), *torch_softmax(x), inputs=(x,))
    finally:
        session.current = None
    message = str(err.value)
    for part in ("max abs error", "max rel error", "at index", "bound", "2 x torch float32 error", "replay: pytest", "--hypothesis-seed=1234"):
        assert part in message, f"{part!r} missing from: {message}"


def test_bound_is_twice_torch_error_plus_floor():
    ref = np.array([1.0, 2.0])
    torch32 = np.array([1.0 + 1e-6, 2.0])
    assert checks.tolerance(ref, torch32, floor=1e-9) == pytest.approx(2e-6 + 1e-9)
    # a zero reference error leaves the floor, so nothing fails on rounding alone
    assert checks.tolerance(ref, ref) > 0


def test_wrong_shape_fails(x):
    with pytest.raises(checks.CheckFailed, match="shape"):
        checks.assert_close(x[:, :-1], *torch_softmax(x))


# ------------------------------------------------------------------ non-triviality


@pytest.mark.parametrize(
    "body, reason",
    [
        ("return np.zeros_like(x)", "all zeros"),
        ("return np.full_like(x, np.nan)", "NaN/inf"),
        ("return np.full_like(x, 0.1)", "constant"),
        ("return x.copy()", "echoes input 0"),
    ],
    ids=["zeros", "nan", "constant", "echo"],
)
def test_degenerate_outputs_fail_with_their_reason(tmp_path, x, body, reason):
    impl = learner_impl(tmp_path, "softmax", f"import numpy as np\ndef softmax(x, axis=-1):\n    {body}\n")
    with pytest.raises(checks.CheckFailed, match=reason.replace("/", ".")):
        checks.assert_close(impl.softmax(x), *torch_softmax(x), inputs=(x,))


def test_zero_output_is_fine_when_the_reference_is_zero():
    checks.assert_nontrivial(np.zeros(5), reference=np.full(5, 1e-18), atol=1e-12)


# ------------------------------------------------------------------ guards on every call


def test_input_mutation_is_caught(tmp_path, x):
    impl = learner_impl(tmp_path, "softmax", """
        import numpy as np
        def softmax(x, axis=-1):
            x -= x.max(axis=axis, keepdims=True)   # in place: the caller's array changes
            e = np.exp(x)
            return e / e.sum(axis=axis, keepdims=True)
    """)
    with pytest.raises(ContractViolation, match="mutated its input argument 0"):
        impl.softmax(x)


def test_handing_work_to_the_reference_is_caught(tmp_path, x):
    impl = learner_impl(tmp_path, "softmax", """
        import torch
        def softmax(x, axis=-1):
            return torch.softmax(torch.from_numpy(x), axis).numpy()
    """)
    with pytest.raises(ContractViolation, match="called torch"):
        impl.softmax(x)


def test_reference_imported_early_is_still_caught(tmp_path, x):
    impl = learner_impl(tmp_path, "attention", """
        import torch
        from torch.nn.functional import scaled_dot_product_attention as sdpa
        def scaled_dot_product_attention(q, k, v, mask=None, causal=False):
            return sdpa(torch.from_numpy(q), torch.from_numpy(k), torch.from_numpy(v)).numpy()
    """)
    with pytest.raises(ContractViolation, match="scaled_dot_product_attention"):
        impl.scaled_dot_product_attention(x, x, x)


def torch_built_impl(tmp_path, body: str) -> Implementation:
    """A learner backend that declares itself built on torch (judged against an independent reference)."""
    plain = learner_impl(tmp_path, "softmax", "import torch\n" + body, name="torchy")
    backend = registry.Backend(plain.backend.name, "learner", plain.backend.package, plain.backend.folder, built_on="torch")
    return Implementation(backend, plain.skill)


def test_torch_backend_may_use_torch_ops(tmp_path, x):
    impl = torch_built_impl(tmp_path, """
def softmax(x, axis=-1):
    t = torch.from_numpy(x)
    e = torch.exp(t - t.amax(dim=axis, keepdim=True))
    return (e / e.sum(dim=axis, keepdim=True)).numpy()
""")
    checks.assert_close(impl.softmax(x), *torch_softmax(x))


def test_torch_backend_may_not_call_the_reference(tmp_path, x):
    impl = torch_built_impl(tmp_path, """
def softmax(x, axis=-1):
    return torch.softmax(torch.from_numpy(x), axis).numpy()
""")
    with pytest.raises(ContractViolation, match="torch.softmax"):
        impl.softmax(x)


# ------------------------------------------------------------------ learner modules


def test_missing_function_names_the_contract(tmp_path, x):
    impl = learner_impl(tmp_path, "softmax", GOOD_SOFTMAX)  # no softmax_backward
    with pytest.raises(NotImplementedYet, match=r"implement softmax_backward for week 1-2 .*contract\.py"):
        impl.softmax_backward(x, x)


def test_syntax_error_names_file_and_line(tmp_path, x):
    impl = learner_impl(tmp_path, "softmax", "import numpy as np\n\ndef softmax(x, axis=-1)\n    return x\n")
    with pytest.raises(registry.ImplementationBroken, match=r"softmax\.py:3: SyntaxError"):
        impl.softmax(x)


def test_error_at_import_names_file_and_line(tmp_path, x):
    impl = learner_impl(tmp_path, "softmax", "import numpy as np\nSCALE = undefined_name\n")
    with pytest.raises(registry.ImplementationBroken, match=r"softmax\.py:2: NameError"):
        impl.softmax(x)


def test_exact_and_clear_error_checks():
    checks.assert_exact(np.arange(5), np.arange(5))
    with pytest.raises(checks.CheckFailed, match="differs from the exact reference at 1 of 5 positions"):
        checks.assert_exact(np.array([0, 1, 2, 4, 4]), np.arange(5))
    with pytest.raises(checks.CheckFailed, match="accepted silently"):
        checks.assert_raises_clearly(ValueError, lambda: None)
    with pytest.raises(checks.CheckFailed, match="should raise ValueError, raised KeyError"):
        checks.assert_raises_clearly(ValueError, lambda: {}["x"])
