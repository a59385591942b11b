"""The library: the images being worked on (recent files, thumbnails) and the filmstrip that shows them."""
