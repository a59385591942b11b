"""ProCrop: retrieval-augmented, ranked crop suggestions (seed: "ProCrop: Learning Aesthetic
Image Cropping from Professional Compositions"). One concept per module:

* :mod:`~models.procrop.encoder` - composition encoders (registry: EfficientNet-Lite0, SAM
  ViT-B/L/H, MobileSAM);
* :mod:`~models.procrop.tiny_vit` - MobileSAM's TinyViT image encoder (our implementation);
* :mod:`~models.procrop.text` - BLIP caption features for the optional text fusion (Eq. 2);
* :mod:`~models.procrop.index` - the FAISS retrieval database of professional compositions;
* :mod:`~models.procrop.fusion` - cross-attention of the query to retrieved maps (Eq. 1) and
  to caption tokens (Eq. 2);
* :mod:`~models.procrop.decoder` - anchor decoder with parallel box and score heads;
* :mod:`~models.procrop.model` - the network wiring them (``build_model``), and an ensemble of
  such networks whose members vote on each other's boxes;
* :mod:`~models.procrop.matcher`, :mod:`~models.procrop.criterion` - Hungarian set loss;
* :mod:`~models.procrop.train` - training on cached encoder features;
* :mod:`~models.procrop.predictor` - ``set_image`` / ``suggest`` API;
* :mod:`~models.procrop.ranking` - one image's queries ranked into pixel suggestions (numpy only);
* :mod:`~models.procrop.vote` - box voting: each suggestion the consensus of the queries near it;
* :mod:`~models.procrop.method` - the ``procrop`` evaluation method (a registry plugin).

Nothing is imported here, so ``import models.procrop`` stays cheap.
"""
