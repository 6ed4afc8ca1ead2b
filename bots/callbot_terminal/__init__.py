"""callbot in a terminal: a local playground where you are one member of one community.

`callbot try` (or `callbot run` with no chat platform configured) starts it. It runs on the
real core and database; buttons and pickers become numbered choices and forms are asked field
by field. On a terminal the output is rich; otherwise it is plain text read and written line by
line, so a session can be scripted.
"""
