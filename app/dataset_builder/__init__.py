"""The dataset builder: its panel and the worker that runs models.dataset_builder."""
