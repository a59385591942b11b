"""What every feature uses: workers off the GUI thread, the display's scale, the one thumbnail cutter, the status line."""
