"""The canvas: crop and layout-region items on the image view, and their plain geometry.

``boxes`` (move/resize arithmetic) and ``guides`` (composition guide lines) are Qt-free;
``handles``, ``box_item``, ``crop_item``, ``region_item`` and ``heat`` are scene items.
Scene coordinates are full-resolution image pixels (:class:`models.geometry.Box`).
"""
