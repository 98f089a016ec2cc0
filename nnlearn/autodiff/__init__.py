"""Scalar reverse-mode automatic differentiation, and the trace tables of the book.

- :class:`Value` — a number that remembers how it was computed (micrograd's idea),
- :func:`trace` — evaluate a function on named inputs and get its forward primal
  trace, reverse adjoint trace and forward tangent trace as tables,
- :func:`draw` — a drawing of the computational graph of any ``Value``,
- :func:`finite_difference` — the central difference that checks them all,
- :class:`Dual`, :func:`jvp_dual` — forward mode in code: dual numbers, which
  carry a tangent beside each value (a Jacobian-vector product per evaluation),
- :func:`jvp`, :func:`vjp` — one forward or one reverse sweep over a recorded graph,
- :func:`jacobian_forward`, :func:`jacobian_reverse` — whole Jacobians by
  forward and reverse mode, with the count of multiply-adds each needs,
- :func:`path_products` — every path from an input to the output with the product
  of the local derivatives along it (the chain rule along a path, the sum rule
  across paths).
"""

from .value import Value
from .trace import Trace, finite_difference, path_products, trace
from .graph import draw
from .modes import graph_size, jacobian_forward, jacobian_reverse, jvp, vjp
from .dual import Dual, jvp_dual

__all__ = ["Value", "Trace", "trace", "path_products", "finite_difference", "draw",
           "jvp", "vjp", "jacobian_forward", "jacobian_reverse", "graph_size", "Dual", "jvp_dual"]
