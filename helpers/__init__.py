r"""Reference implementations for *Neural Networks, the math behind LLMs*.

One module per section of the notes:

=====================  ==========================================================
module                 section
=====================  ==========================================================
``linear``             1  from linear models to neural networks
``forward``            2  forward pass
``losses``             3  loss functions
``backprop``           4  backpropagation (``gradcheck``: finite differences)
``activations``        5  activations
``init``               6  initialization and signal propagation
``optim``              7  optimization
``norm``               8  normalization and regularization
``generalization``     9  expressivity and generalization
``diagnostics``        10 diagnostics
``kernels``            labs 11, 12: the kernel regime (NTK), infinite width (NNGP)
``feature_learning``   lab 13: feature learning (AGOP, recursive feature machines)
``depth``              lab 14: normalization at depth (BatchNorm statistics and init, residual streams)
``curvature``          lab 15: curvature and scaling (HVPs, edge of stability, muP, weight decay)
``data``, ``plotting``  data sets and figures shared by the notebooks
``checks``             test-cell utilities for the notebooks
=====================  ==========================================================

Dimension symbols used in every docstring:

* ``B``: batch size (examples per batch), the first axis of every batch array;
* ``d_in``, ``d_out``: a layer's input and output widths; ``d_l`` the width after layer l (``d_0 = d_in``);
* ``C``: number of classes (the width of the logits).

Arrays are float64, batch first: ``X`` is ``(B, d_in)``, ``W`` is ``(d_out, d_in)``, ``b`` is
``(d_out,)``, logits ``(B, C)``, integer labels ``(B,)``. Random functions take a
``numpy.random.Generator`` argument ``rng``; nothing reads global random state.

Layers are numbered 1 to L: ``h_0 = x`` and ``h_l = phi(W_l h_{l-1} + b_l)`` with ``W_l`` of shape
``(d_l, d_{l-1})`` and ``b_l`` of shape ``(d_l,)``; for a batch, ``H_l = phi(H_{l-1} W_l^T + b_l)``, of shape
``(B, d_l)``, and the last layer (the head) has no activation. Python lists of layers are 0-based, so
``layers[l - 1]`` holds ``(W_l, b_l)``.

The references of the ten practice exercises are importable from here under the spec's names.
"""
from . import activations, backprop, checks, data, plotting, forward, gradcheck, init, linear, losses, norm, optim
from . import curvature, depth, diagnostics, feature_learning, generalization, kernels, training
from .activations import relu, relu_grad
from .backprop import affine_backward
from .diagnostics import diagnose
from .forward import affine_forward, two_layer_forward
from .gradcheck import numerical_gradient, relative_error
from .init import he_std, xavier_std
from .losses import softmax, softmax_cross_entropy
from .norm import dropout, layer_norm

PRACTICE_EXERCISES = {
    1: ("affine_forward",),
    2: ("relu", "relu_grad"),
    3: ("two_layer_forward",),
    4: ("softmax", "softmax_cross_entropy"),
    5: ("affine_backward",),
    6: ("numerical_gradient", "relative_error"),
    7: ("xavier_std", "he_std"),
    8: ("dropout",),
    9: ("layer_norm",),
    10: ("diagnose",),
}
