"""A plugin module whose import error spans several lines."""
raise ImportError("first line of the error\nsecond line\n\n    third, indented")
