"""Implementations compiled with Numba (explicit loops, the way a C kernel would read)."""


def unavailable_reason():
    try:
        import numba  # noqa: F401
    except ImportError as exc:
        return f"numba is not installed ({exc})"
    return None
