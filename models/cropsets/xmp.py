"""XMP sidecars: a crop in the fields Lightroom and darktable read, merged into what is there.

:func:`write_xmp_crop` sets ``crs:HasCrop``, ``crs:CropLeft/Top/Right/Bottom`` (fractions of
the upright, i.e. oriented, image) and ``crs:CropAngle`` in ``IMAGE.xmp`` (Lightroom's name
for a sidecar: the image's file name with the suffix replaced). An existing sidecar is
merged: only those properties are replaced, every other field, namespace, comment and the
``xpacket`` wrapper are kept byte for byte where untouched (``xml.dom.minidom`` keeps the
document's own prefixes). The crop Crop Studio wrote is also recorded under its own
namespace, so :func:`read_xmp_crop` can tell it from a crop a user set in another tool,
which the batch then treats as a manual override.

Parsing uses the standard library's expat, which refuses entity-expansion attacks.
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path
from xml.dom import minidom
from xml.parsers.expat import ExpatError

from models.export.atomic import write_text_atomically
from models.cropsets.regions import RelativeBox
from models.errors import InvalidInputError

__all__ = ["CROPSTUDIO_NS", "CRS_NS", "XmpCrop", "find_sidecar", "read_xmp_crop", "sidecar_path", "write_xmp_crop"]

log = logging.getLogger(__name__)

RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
CRS_NS = "http://ns.adobe.com/camera-raw-settings/1.0/"
CROPSTUDIO_NS = "http://ns.cropstudio.invalid/xmp/1.0/"
"""Crop Studio's own fields (``cropstudio:Crop``, ``cropstudio:Target``); a private URI."""
_XMLNS_NS = "http://www.w3.org/2000/xmlns/"
_CRS_PROPS = ("HasCrop", "CropLeft", "CropTop", "CropRight", "CropBottom", "CropAngle")
_OWN_PROPS = ("Crop", "Target")
_EMPTY = (
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
    '<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Crop Studio">\n'
    f' <rdf:RDF xmlns:rdf="{RDF_NS}">\n'
    '  <rdf:Description rdf:about=""/>\n'
    " </rdf:RDF>\n"
    "</x:xmpmeta>\n"
    '<?xpacket end="w"?>'
)


@dataclass(frozen=True, slots=True)
class XmpCrop:
    """A sidecar's crop: ``box`` in fractions of the upright image, ``angle`` in degrees;
    ``by_cropstudio`` when it is the crop Crop Studio wrote (not changed since)."""

    box: RelativeBox
    angle: float = 0.0
    by_cropstudio: bool = False


def sidecar_path(image: str | os.PathLike) -> Path:
    """Where :func:`write_xmp_crop` puts ``image``'s sidecar: ``photo.jpg`` -> ``photo.xmp``."""
    return Path(image).with_suffix(".xmp")


def find_sidecar(image: str | os.PathLike) -> Path | None:
    """An existing sidecar of ``image``: ``photo.xmp``, else darktable's ``photo.jpg.xmp``."""
    image = Path(image)
    for path in (sidecar_path(image), image.with_name(image.name + ".xmp")):
        if path.is_file():
            return path
    return None


def _parse(path: Path) -> minidom.Document:
    try:
        return minidom.parse(str(path))
    except ExpatError as exc:
        raise InvalidInputError(f"XMP sidecar '{path}' is not well-formed XML ({exc})") from None
    except OSError as exc:
        raise InvalidInputError(f"XMP sidecar '{path}': cannot read it ({exc.strerror or exc})") from None


def _descriptions(doc: minidom.Document, path: Path) -> list[minidom.Element]:
    """The top-level ``rdf:Description`` elements (children of ``rdf:RDF``)."""
    rdfs = doc.getElementsByTagNameNS(RDF_NS, "RDF")
    if not rdfs:
        raise InvalidInputError(f"XMP sidecar '{path}' has no rdf:RDF element: not an XMP packet")
    return [n for n in rdfs[0].childNodes if n.nodeType == n.ELEMENT_NODE
            and n.namespaceURI == RDF_NS and n.localName == "Description"]  # fmt: skip


def _property(descriptions: list[minidom.Element], ns: str, name: str) -> str | None:
    """A simple property, written as an attribute or as a child element."""
    for d in descriptions:
        if d.hasAttributeNS(ns, name):
            return d.getAttributeNS(ns, name).strip()
        for child in d.childNodes:
            if child.nodeType == child.ELEMENT_NODE and child.namespaceURI == ns and child.localName == name:
                return "".join(t.data for t in child.childNodes if t.nodeType == t.TEXT_NODE).strip()
    return None


def _number(text: str | None, name: str, path: Path) -> float:
    try:
        value = float(text) if text is not None else math.nan
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InvalidInputError(f"XMP sidecar '{path}': crs:{name} is {text!r}, not a number")
    return value


def read_xmp_crop(path: str | os.PathLike) -> XmpCrop | None:
    """The crop in a sidecar, or ``None`` when it has none (``crs:HasCrop`` absent or false).

    Raises
    ------
    InvalidInputError
        The file is not XMP, or its crop values are missing or out of 0..1.
    """
    path = Path(path)
    descriptions = _descriptions(_parse(path), path)
    if (_property(descriptions, CRS_NS, "HasCrop") or "").lower() not in ("true", "1"):
        return None
    left, top, right, bottom = (_number(_property(descriptions, CRS_NS, n), n, path) for n in _CRS_PROPS[1:5])
    angle_text = _property(descriptions, CRS_NS, "CropAngle")
    angle = 0.0 if angle_text in (None, "") else _number(angle_text, "CropAngle", path)
    try:
        box = RelativeBox(left, top, right, bottom)
    except InvalidInputError as exc:
        raise InvalidInputError(f"XMP sidecar '{path}': crop {exc}") from None
    own = _property(descriptions, CROPSTUDIO_NS, "Crop")
    ours = own is not None and _same_crop(own, box.as_tuple() + (angle,))
    return XmpCrop(box, angle, by_cropstudio=ours)


def _same_crop(recorded: str, values: tuple[float, ...]) -> bool:
    try:
        numbers = [float(v) for v in recorded.split(",")]
    except ValueError:
        return False
    return len(numbers) == len(values) and all(abs(a - b) <= 1e-5 for a, b in zip(numbers, values))


def _prefix_for(doc: minidom.Document, ns: str, wanted: str) -> tuple[str, bool]:
    """The prefix the document already binds to ``ns`` (``(prefix, False)``), or a free one
    to declare (``(prefix, True)``)."""
    used: set[str] = set()
    for el in doc.getElementsByTagName("*"):
        for i in range(el.attributes.length):
            attr = el.attributes.item(i)
            if attr.name.startswith("xmlns:"):
                if attr.value == ns:
                    return attr.name[6:], False
                used.add(attr.name[6:])
    prefix, n = wanted, 1
    while prefix in used:
        prefix, n = f"{wanted}{n}", n + 1
    return prefix, True


def _remove(descriptions: list[minidom.Element], ns: str, names: tuple[str, ...]) -> None:
    for d in descriptions:
        for name in names:
            if d.hasAttributeNS(ns, name):
                d.removeAttributeNS(ns, name)
        for child in list(d.childNodes):
            if child.nodeType == child.ELEMENT_NODE and child.namespaceURI == ns and child.localName in names:
                d.removeChild(child)


def _set(doc: minidom.Document, d: minidom.Element, ns: str, wanted: str, values: dict[str, str]) -> None:
    prefix, declare = _prefix_for(doc, ns, wanted)
    if declare:
        d.setAttributeNS(_XMLNS_NS, f"xmlns:{prefix}", ns)
    for name, value in values.items():
        d.setAttributeNS(ns, f"{prefix}:{name}", value)


def write_xmp_crop(
    path: str | os.PathLike, box: RelativeBox, *, angle: float = 0.0, target: str | None = None
) -> Path:
    """Set the crop of sidecar ``path`` to ``box`` (fractions of the upright image), creating
    the file or merging into it; written atomically.

    Raises
    ------
    InvalidInputError
        The existing file is not well-formed XMP (it is left untouched).
    ExportError
        The sidecar cannot be written.
    """
    path = Path(path)
    doc = _parse(path) if path.exists() else minidom.parseString(_EMPTY.encode("utf-8"))
    descriptions = _descriptions(doc, path)
    if not descriptions:
        rdf = doc.getElementsByTagNameNS(RDF_NS, "RDF")[0]
        d = doc.createElementNS(RDF_NS, (rdf.prefix + ":" if rdf.prefix else "") + "Description")
        d.setAttributeNS(RDF_NS, (rdf.prefix + ":" if rdf.prefix else "") + "about", "")
        rdf.appendChild(d)
        descriptions = [d]
    _remove(descriptions, CRS_NS, _CRS_PROPS)
    _remove(descriptions, CROPSTUDIO_NS, _OWN_PROPS)
    values = [f"{v:.6f}" for v in (*box.as_tuple(), angle)]
    _set(doc, descriptions[0], CRS_NS, "crs", {"HasCrop": "True", "CropLeft": values[0], "CropTop": values[1],
                                              "CropRight": values[2], "CropBottom": values[3],
                                              "CropAngle": values[4]})  # fmt: skip
    own = {"Crop": ",".join(values)} | ({"Target": target} if target else {})
    _set(doc, descriptions[0], CROPSTUDIO_NS, "cropstudio", own)
    # Node by node: no XML declaration (UTF-8 is the default; an XMP packet starts with xpacket)
    # and one line per top-level node, as the xpacket wrapper is usually laid out.
    write_text_atomically(path, "\n".join(node.toxml() for node in doc.childNodes) + "\n")
    log.debug("wrote crop %s to %s", values, path)
    return path
