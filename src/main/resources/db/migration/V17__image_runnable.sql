-- What a runtime runs for an image is a jupyter-server command on the local runtime and an image reference on
-- the container runtimes: the column is named for what it is, not for one runtime.
ALTER TABLE images RENAME COLUMN jupyter_command TO runnable;
