"""models.cropsets.project and models.cropsets.xmp: the project file and XMP sidecars round-trip,
merge without losing fields, and refuse what they cannot read with a clear message."""

from __future__ import annotations

import json
from xml.dom import minidom

import pytest

from models.cropsets.project import (
    PROJECT_FILENAME,
    ImageEntry,
    Project,
    content_hash,
    file_digest,
    load_project,
    save_project,
)
from models.cropsets.regions import RelativeBox, RelativePoint, parse_relative_box
from models.cropsets.xmp import CRS_NS, find_sidecar, read_xmp_crop, sidecar_path, write_xmp_crop
from models.errors import InvalidInputError

# -- project file -------------------------------------------------------------------------


def entry() -> ImageEntry:
    return ImageEntry(
        keep=(RelativeBox(0.5, 0, 1, 0.5),),
        avoid=(RelativeBox(0, 0.8, 1, 1), RelativeBox(0, 0, 0.1, 0.1)),
        focal_point=RelativePoint(0.6, 0.4),
        overrides={"square": RelativeBox(0.1, 0, 0.85, 1)},
        content_hash="sha256:abc",
    )


def test_project_round_trip_is_atomic_and_keyed_by_relative_path(tmp_path):
    (tmp_path / "shoot").mkdir()
    project = Project(tmp_path / PROJECT_FILENAME).with_entry(tmp_path / "shoot" / "a.jpg", entry())
    save_project(project)
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == [PROJECT_FILENAME]  # no temp file left
    data = json.loads((tmp_path / PROJECT_FILENAME).read_text())
    assert data["format"] == "cropstudio-project" and data["version"] == 1 and list(data["images"]) == ["shoot/a.jpg"]
    back = load_project(tmp_path / PROJECT_FILENAME)
    assert back.entry(tmp_path / "shoot" / "a.jpg") == entry()
    assert back.entry(tmp_path / "other.jpg") == ImageEntry()
    assert load_project(tmp_path / "missing.json").images == {}


def test_entry_fields_are_optional(tmp_path):
    path = tmp_path / PROJECT_FILENAME
    images = {"a.jpg": {"keep": [[0, 0, 0.5, 0.5]]}}
    path.write_text(json.dumps({"format": "cropstudio-project", "version": 1, "images": images}))
    assert load_project(path).entry(tmp_path / "a.jpg") == ImageEntry(keep=(RelativeBox(0, 0, 0.5, 0.5),))


def test_version_2_holds_the_app_crop_and_aspect_and_older_files_still_load(tmp_path):
    path = tmp_path / PROJECT_FILENAME
    v1 = {"a.jpg": {"keep": [[0, 0, 0.5, 0.5]], "content_hash": "sha256:x"}}
    path.write_text(json.dumps({"format": "cropstudio-project", "version": 1, "images": v1}))
    project = load_project(path)
    old = project.entry(tmp_path / "a.jpg")
    assert old.crop is None and old.aspect is None and old.keep == (RelativeBox(0, 0, 0.5, 0.5),)
    save_project(project)  # nothing of version 2 in it: still written as version 1
    assert json.loads(path.read_text())["version"] == 1
    new = ImageEntry(keep=old.keep, crop=RelativeBox(0.1, 0.2, 0.9, 0.8), aspect="16:9")
    save_project(project.with_entry(tmp_path / "b.jpg", new))
    data = json.loads(path.read_text())
    assert data["version"] == 2 and data["images"]["b.jpg"]["aspect"] == "16:9"
    assert "crop" not in data["images"]["a.jpg"]  # entries without them stay as version 1 wrote them
    back = load_project(path)
    assert back.entry(tmp_path / "b.jpg") == new and back.entry(tmp_path / "a.jpg") == old
    assert new.settings() == ImageEntry(keep=old.keep).settings()  # not part of the batch's content hash


@pytest.mark.parametrize(
    "content, message",
    [
        ({"format": "cropstudio-project", "version": 3, "images": {}}, "version 3; this Crop Studio reads versions 1"),
        ({"format": "cropstudio-project", "version": 1, "images": {"a.jpg": {"crop": [0, 0, 1, 1]}}}, "needs schema v"),
        ({"format": "cropstudio-project", "version": 2, "images": {"a.jpg": {"crop": [0, 0, 1]}}}, "crop must be four"),
        ({"format": "cropstudio-project", "version": 2, "images": {"a.jpg": {"aspect": 16}}}, "aspect must be a short"),
        ({"format": "cropstudio-project", "images": {}}, "schema version None"),
        ({"format": "something-else", "version": 1}, "not a Crop Studio project"),
        ([1, 2], "not a Crop Studio project"),
        ({"format": "cropstudio-project", "version": 1, "images": {"a.jpg": {"keeps": []}}}, "unknown key 'keeps'"),
        ({"format": "cropstudio-project", "version": 1, "images": {"a.jpg": {"keep": [[0, 0, 2, 1]]}}}, "from 0 to 1"),
        ({"format": "cropstudio-project", "version": 1, "images": {"a.jpg": {"keep": [[0.5, 0, 0.2, 1]]}}}, "is empty"),
        ({"format": "cropstudio-project", "version": 1, "images": {"a.jpg": {"avoid": [[0, 0, 1]]}}}, "four numbers"),
        ({"format": "cropstudio-project", "version": 1, "images": {"a.jpg": {"focal_point": [0.5]}}}, "two numbers"),
        ({"format": "cropstudio-project", "version": 1, "images": {"a.jpg": {"overrides": [1]}}}, "overrides must map"),
        ({"format": "cropstudio-project", "version": 1, "images": {"a.jpg": {"content_hash": 3}}}, "content_hash"),
    ],
)
def test_bad_project_files_are_refused_clearly(tmp_path, content, message):
    path = tmp_path / PROJECT_FILENAME
    path.write_text(json.dumps(content))
    with pytest.raises(InvalidInputError, match=message):
        load_project(path)


def test_not_json(tmp_path):
    (tmp_path / "p.json").write_text("{nope")
    with pytest.raises(InvalidInputError, match="not valid JSON"):
        load_project(tmp_path / "p.json")


def test_content_hash_changes_with_bytes_and_settings_only(tmp_path):
    a, b = tmp_path / "a.bin", tmp_path / "b.bin"
    a.write_bytes(b"one")
    b.write_bytes(b"two")
    da, db = file_digest(a), file_digest(b)
    assert da.startswith("sha256:") and da != db
    assert content_hash(da, {"x": 1, "y": [1, 2]}) == content_hash(da, {"y": [1, 2], "x": 1})
    assert content_hash(da, {"x": 1}) != content_hash(db, {"x": 1}) != content_hash(db, {"x": 2})


def test_relative_regions():
    box = parse_relative_box("0.5,0,1,0.5")
    assert box.to_pixels(200, 100).as_tuple() == (100, 0, 200, 50)
    assert RelativeBox.from_pixels(box.to_pixels(640, 480), 640, 480) == box
    for text, message in [("10,0,20,5", "fractions of each image"), ("0.5,0,0.5,1", "empty"), ("1,2", "four")]:
        with pytest.raises(InvalidInputError, match=message):
            parse_relative_box(text, "--keep")
    k = RelativePoint(1.0, 0.0).keep_box(100, 50)
    assert k.as_tuple() == (99, 0, 100, 1)


# -- XMP sidecars -------------------------------------------------------------------------
LIGHTROOM = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Adobe XMP Core 7.0">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <!-- written by another tool -->
  <rdf:Description rdf:about=""
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:camera="http://ns.adobe.com/camera-raw-settings/1.0/"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmp:Rating="4" camera:Exposure2012="+0.50" camera:HasCrop="False" camera:CropLeft="0.2">
   <camera:CropTop>0.1</camera:CropTop>
   <dc:subject><rdf:Bag><rdf:li>beach</rdf:li><rdf:li>sun</rdf:li></rdf:Bag></dc:subject>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>
"""


def test_xmp_round_trip_in_a_new_sidecar(tmp_path):
    path = sidecar_path(tmp_path / "photo.jpg")
    assert path.name == "photo.xmp" and find_sidecar(tmp_path / "photo.jpg") is None
    write_xmp_crop(path, RelativeBox(0.1, 0.2, 0.9, 0.75), target="square")
    assert find_sidecar(tmp_path / "photo.jpg") == path
    crop = read_xmp_crop(path)
    assert crop.box == RelativeBox(0.1, 0.2, 0.9, 0.75) and crop.angle == 0 and crop.by_cropstudio
    doc = minidom.parse(str(path))  # well-formed, with the crs fields as Lightroom writes them
    (desc,) = doc.getElementsByTagNameNS("http://www.w3.org/1999/02/22-rdf-syntax-ns#", "Description")
    assert desc.getAttributeNS(CRS_NS, "HasCrop") == "True"
    assert float(desc.getAttributeNS(CRS_NS, "CropRight")) == 0.9
    assert path.read_text(encoding="utf-8").startswith('<?xpacket begin="\ufeff"')


def test_xmp_merge_keeps_every_other_field(tmp_path):
    path = tmp_path / "photo.xmp"
    path.write_text(LIGHTROOM, encoding="utf-8")
    assert read_xmp_crop(path) is None  # HasCrop False
    write_xmp_crop(path, RelativeBox(0.25, 0, 0.75, 1))
    text = path.read_text(encoding="utf-8")
    fields = ['xmp:Rating="4"', 'camera:Exposure2012="+0.50"', "<rdf:li>beach</rdf:li><rdf:li>sun</rdf:li>",
              "<!-- written by another tool -->", 'x:xmptk="Adobe XMP Core 7.0"', '<?xpacket end="w"?>']  # fmt: skip
    for field in fields:
        assert field in text
    assert "crs:" not in text and "xmlns:crs" not in text  # the file's own prefix for the namespace is reused
    assert text.count("CropLeft") == 1 and "<camera:CropTop>" not in text  # old values replaced, not duplicated
    assert read_xmp_crop(path).box == RelativeBox(0.25, 0, 0.75, 1)
    write_xmp_crop(path, RelativeBox(0, 0, 0.5, 0.5))  # and again: still one of each
    assert path.read_text(encoding="utf-8").count("HasCrop") == 1


def test_a_crop_set_in_another_tool_is_not_ours(tmp_path):
    path = tmp_path / "photo.xmp"
    path.write_text(LIGHTROOM.replace('camera:HasCrop="False"', 'camera:HasCrop="True" camera:CropRight="0.9"'
                                      ' camera:CropBottom="0.7" camera:CropAngle="1.5"'), encoding="utf-8")  # fmt: skip
    crop = read_xmp_crop(path)
    assert crop.box == RelativeBox(0.2, 0.1, 0.9, 0.7) and crop.angle == 1.5 and not crop.by_cropstudio
    write_xmp_crop(path, RelativeBox(0.2, 0.1, 0.9, 0.7))
    text = path.read_text(encoding="utf-8").replace('CropRight="0.900000"', 'CropRight="0.800000"')
    path.write_text(text, encoding="utf-8")  # edited elsewhere after we wrote it
    assert not read_xmp_crop(path).by_cropstudio


@pytest.mark.parametrize(
    "text, message",
    [
        ("<x:xmpmeta xmlns:x='adobe:ns:meta/'>", "not well-formed"),
        ("<a/>", "no rdf:RDF"),
        (LIGHTROOM.replace('camera:HasCrop="False"', 'camera:HasCrop="True"'), "CropRight is None"),
        (LIGHTROOM.replace('"False"', '"True" camera:CropRight="x" camera:CropBottom="1"'), "not a number"),
        (LIGHTROOM.replace('"False"', '"True" camera:CropRight="0.1" camera:CropBottom="1"'), "is empty"),
    ],
)
def test_bad_sidecars(tmp_path, text, message):
    path = tmp_path / "p.xmp"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInputError, match=message):
        read_xmp_crop(path)
    if "not well-formed" in message:
        with pytest.raises(InvalidInputError):
            write_xmp_crop(path, RelativeBox(0, 0, 1, 1))
        assert path.read_text(encoding="utf-8") == text  # left untouched


def test_darktable_style_sidecar_name_is_found(tmp_path):
    path = tmp_path / "photo.jpg.xmp"
    write_xmp_crop(path, RelativeBox(0, 0, 1, 1))
    assert find_sidecar(tmp_path / "photo.jpg") == path
