"""Cropping under design constraints (seed: "Image Cropping under Design Constraints"), no Qt.

A fixed aspect ratio is a hard constraint of the search space; keep regions must lie inside
the crop and avoid regions outside (hard, checked exactly); the score is a sum of terms
(attention or a learned heatmap, size and centre priors, face cuts) searched exhaustively.
"""

from models.constraints.candidates import Candidates, GridSpec, enumerate_candidates
from models.constraints.problem import CropProblem, check_feasible
from models.constraints.search import ExhaustiveSearch, Proposal, Searcher
from models.constraints.terms import (
    AreaTerm,
    AttentionTerm,
    BorderTerm,
    CentreTerm,
    FaceCutTerm,
    MapIntegral,
    ScoreTerm,
)

__all__ = [
    "AreaTerm",
    "AttentionTerm",
    "BorderTerm",
    "Candidates",
    "CentreTerm",
    "CropProblem",
    "ExhaustiveSearch",
    "FaceCutTerm",
    "GridSpec",
    "MapIntegral",
    "Proposal",
    "ScoreTerm",
    "Searcher",
    "check_feasible",
    "enumerate_candidates",
]
