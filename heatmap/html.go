package heatmap

import (
	"fmt"
	"html/template"
	"io"

	"github.com/corescope/corescope/cpuwatch"
)

// The page is well-formed XML as well as HTML, so that it can be checked
// with encoding/xml: html/template escapes every label and hover text, and
// the chart's texts are printable (see printable) before they get here.
var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<title>{{.Title}}</title>
<style>
body { margin: 1em; background: #fff; color: #222; font-family: ` + fontFamily + `; }
svg rect.cell:hover { stroke: #000; stroke-width: 1.5; }
#tip { position: fixed; pointer-events: none; display: none; background: #222; color: #fff; padding: 2px 6px; font-size: 12px; border-radius: 3px; }
</style>
</head>
<body>
<svg xmlns="http://www.w3.org/2000/svg" width="{{.W}}" height="{{.H}}" viewBox="0 0 {{.W}} {{.H}}" font-family="` + fontFamily + `" font-size="12">
<rect width="{{.W}}" height="{{.H}}" fill="#ffffff"/>
<g shape-rendering="crispEdges">
{{range .Cells}}{{if .Tip}}<rect class="cell" x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}" fill="{{.Fill}}" data-tip="{{.Tip}}"><title>{{.Tip}}</title></rect>
{{else}}<rect x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}" fill="{{.Fill}}"/>
{{end}}{{end}}{{range .Lines}}{{if .Dashed}}<line x1="{{.X1}}" y1="{{.Y1}}" x2="{{.X2}}" y2="{{.Y2}}" stroke="#ffffff"/><line class="marker" x1="{{.X1}}" y1="{{.Y1}}" x2="{{.X2}}" y2="{{.Y2}}" stroke="#222222" stroke-dasharray="3 3"/>
{{else}}<line x1="{{.X1}}" y1="{{.Y1}}" x2="{{.X2}}" y2="{{.Y2}}" stroke="#888888"/>
{{end}}{{end}}</g>
{{range .Texts}}<text x="{{.X}}" y="{{.Y}}" text-anchor="{{.Anchor}}" fill="#222222"{{if .Bold}} font-weight="bold" font-size="{{.Size}}"{{end}}>{{.S}}</text>
{{end}}</svg>
<div id="tip"></div>
<script>
// No ampersands or angle brackets here: the page stays well-formed XML.
(function () {
  var tip = document.getElementById("tip");
  document.querySelector("svg").addEventListener("mousemove", function (e) {
    var t = e.target.getAttribute ? e.target.getAttribute("data-tip") : null;
    if (!t) { tip.style.display = "none"; return; }
    tip.textContent = t;
    tip.style.left = (e.clientX + 12) + "px";
    tip.style.top = (e.clientY + 12) + "px";
    tip.style.display = "block";
  });
})();
</script>
</body>
</html>
`))

// WriteHTML writes rec's heatmap to w as a self-contained HTML page: an
// inline SVG with the same layout as Render, whose cells show their exact
// busy, user and system percentages when the pointer rests on them. It
// loads nothing from elsewhere.
func WriteHTML(w io.Writer, rec *cpuwatch.Recording, opts Options) error {
	return writeCores(w, rec, opts, true, (*chart).writeHTML)
}

// writeHTML writes the chart as a self-contained HTML page.
func (c *chart) writeHTML(w io.Writer) error {
	sc, err := c.vector()
	if err != nil {
		return err
	}
	if err := pageTemplate.Execute(w, sc); err != nil {
		return fmt.Errorf("heatmap: %w", err)
	}
	return nil
}
