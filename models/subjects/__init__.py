"""The subjects of an image: heads (hard, never cut) and people (soft), found once per image.

``types`` holds the data; ``detect`` finds them (one call per image, in the analysis);
``rule`` (the subject rule every crop path obeys) decides what a crop must keep whole.
"""

from models.subjects.detect import detect_subjects, image_subjects
from models.subjects.types import Head, Subjects

__all__ = ["Head", "Subjects", "detect_subjects", "image_subjects"]
