# Regenerates the wiring picture from its text source (needs graphviz:
# apt install graphviz). The SVG is committed, so reading docs/hardware.md
# needs nothing.
#   make -C docs -f hardware-wiring.mk
hardware-wiring.svg: hardware-wiring.dot
	@command -v dot >/dev/null 2>&1 || { echo "hardware-wiring: graphviz 'dot' not installed (apt install graphviz)" >&2; exit 1; }
	dot -Tsvg $< -o $@
