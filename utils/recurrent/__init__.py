"""The lesson's mathematics: the cells' forward steps and backward passes in NumPy, the Jacobians
between states, the by-hand training step, the gradient and memory experiments of Case 17-4,
and a layer's parameter count."""
