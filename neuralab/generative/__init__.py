"""The math of generative models, written once against the engine module ``T``.

* ``gan_losses``: the GAN and WGAN losses and the gradient penalty.
* ``diffusion``: noise schedules, forward noising ``q(x_t | x_0)``, the DDPM training
  loss, ancestral (DDPM) and deterministic (DDIM) samplers.
* ``metrics``: NumPy measures of generated 2-D samples (radius, angular bins, mode
  coverage, distance to a data manifold).
"""
