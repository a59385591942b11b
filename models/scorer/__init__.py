"""A learned crop scorer for the proposal-based method (seed sec. 3.2).

* :mod:`~models.scorer.model` - RoI features of a box on the frozen backbone + geometry,
  through a small MLP, to one score per box; weights on disk;
* :mod:`~models.scorer.train` - pairwise ranking on FCDB's view comparisons
  (``ranking.json``) and on expert crops against other views of the same image.
"""
