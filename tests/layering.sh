#!/bin/sh
# Dependencies point one way: cli -> script, store, report -> models -> sim.
# Fails when an include points the wrong way (DESIGN.md §1).
src=${top_srcdir:-.}/src
status=0

check() { # DIR PATTERN WHY
	hits=$(grep -rnE "#include[[:space:]]*[<\"]($2)" "$src/$1" 2>/dev/null)
	if [ -n "$hits" ]; then
		printf '%s\n' "$hits" | sed "s|^$src/|src/|; s|\$|: $3|" >&2
		status=1
	fi
}
for dir in sim models script report cli; do
	check "$dir" 'sqlite3\.h' 'only src/store may include sqlite3.h'
done
for dir in sim models store report cli; do
	check "$dir" '(lua|lauxlib|lualib)\.h' 'only src/script may include lua.h'
done
check sim '(models|script|store|report|cli)/' 'the kernel must not include model or upper-layer headers'
check models '(script|store|report|cli)/' 'models must not include upper-layer headers'
[ -d "$src/sim" ] || { echo "layering: no src/sim under $src" >&2; exit 99; }
[ $status -eq 0 ] && echo "layering: ok"
exit $status
