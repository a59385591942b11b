"""The learned aesthetic heatmap of *Image Cropping under Design Constraints* (sec. 3.3).

* :mod:`~models.heatmap.target` - pseudo-heatmaps made from expert crops (the labels);
* :mod:`~models.heatmap.head` - the small network on the frozen backbone's feature pyramid;
* :mod:`~models.heatmap.model` - backbone + head, weights on disk, ``predict(rgb)``;
* :mod:`~models.heatmap.train` - training on any ``annotations.json`` folder.

The predicted map plugs into the constraints engine as an attention map: its integral over
a box is exact with a summed-area table, so the search stays exhaustive and takes
milliseconds (:class:`~models.constraints.learned.HeatmapCropper`).
"""
