"""Composition-aware dataset builder (seed ProCrop sec. 3.3, appendix B).

A professional photo is already a good crop: expand its canvas, outpaint the new border,
and the original frame becomes the label. Modules, one concept each:

* :mod:`.outpaint`: the outpainting backend interface and its registry.
* :mod:`.expand`: random canvas expansions (:class:`~.expand.Expansion`); the label is the
  pasted photo's box.
* :mod:`.outpaint_classical`: the ``opencv`` (multi-scale) and ``telea`` backends.
* :mod:`.outpaint_diffusion`: the ``diffusion`` backend (Stable-Diffusion inpainting, an
  optional ControlNet; local weights the user configures, a GPU).
* :mod:`.conditioning`: optional inputs: SAM composition masks (a BLIP caption comes from
  :mod:`models.nn.blip`).
* :mod:`.quality`: the automatic quality filter (:class:`~.quality.QualityReport`).
* :mod:`.sources`: the professional photos of a source folder (never FLMS).
* :mod:`.sample`: making one sample in a worker, and which photo / seeds sample ``i`` uses.
* :mod:`.manifest`: the journal, the manifest and ``annotations.json`` on disk.
* :mod:`.engines`: this process, a local process pool, or Ray.
* :mod:`.refine`: iterative refinement rounds (ProCrop pseudo-labels).
* :mod:`.runner`: :func:`~.runner.build_dataset`, resumable, with progress and cancel.
"""
