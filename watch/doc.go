// Package watch triggers hot reloads of $LATEST source folders. It watches
// each folder and all its subfolders with fsnotify (adding folders created
// later, dropping removed ones), ignores editor temp files and tool caches,
// waits for a burst of changes to settle, and then calls a reload function,
// never twice at once for one name, folding changes made during a reload
// into exactly one more call. FileWatcher does the same for one file, the
// config file, surviving editors that save by renaming a new file over it.
package watch
