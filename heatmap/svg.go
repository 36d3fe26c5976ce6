package heatmap

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"

	"github.com/corescope/corescope/cpuwatch"
)

const fontFamily = "Go, 'Go Regular', 'Helvetica Neue', Arial, sans-serif"

// WriteSVG writes rec's heatmap to w as a standalone SVG document with the
// same layout as Render. Each cell carries a <title> with its exact values,
// which viewers show on hover.
func WriteSVG(w io.Writer, rec *cpuwatch.Recording, opts Options) error {
	return writeCores(w, rec, opts, true, (*chart).writeSVG)
}

// writeSVG writes the chart as a standalone SVG document.
func (c *chart) writeSVG(w io.Writer) error {
	sc, err := c.vector()
	if err != nil {
		return err
	}
	return buffered(w, func(bw *bufio.Writer) error {
		sc.writeSVG(bw, true)
		return nil
	})
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// writeSVG writes the scene as an <svg> element; standalone adds the XML
// declaration and namespace a file needs.
func (sc *scene) writeSVG(w *bufio.Writer, standalone bool) {
	esc := func(s string) { _ = xml.EscapeText(w, []byte(s)) }
	if standalone {
		w.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	}
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="%s" font-size="%d">`+"\n",
		sc.W, sc.H, sc.W, sc.H, fontFamily, labelSize)
	w.WriteString("<title>")
	esc(sc.Title)
	w.WriteString("</title>\n")
	fmt.Fprintf(w, `<rect width="%d" height="%d" fill="%s"/>`+"\n", sc.W, sc.H, hexOf(colBackground))
	w.WriteString(`<g shape-rendering="crispEdges">` + "\n")
	for _, r := range sc.Cells {
		fmt.Fprintf(w, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s"`, num(r.X), num(r.Y), num(r.W), num(r.H), r.Fill)
		if r.Tip == "" {
			w.WriteString("/>\n")
			continue
		}
		w.WriteString("><title>")
		esc(r.Tip)
		w.WriteString("</title></rect>\n")
	}
	for _, l := range sc.Lines {
		if l.Dashed {
			fmt.Fprintf(w, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s"/>`, num(l.X1), num(l.Y1), num(l.X2), num(l.Y2), hexOf(colBackground))
			fmt.Fprintf(w, `<line class="marker" x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-dasharray="3 3"/>`+"\n", num(l.X1), num(l.Y1), num(l.X2), num(l.Y2), hexOf(colInk))
			continue
		}
		fmt.Fprintf(w, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s"/>`+"\n", num(l.X1), num(l.Y1), num(l.X2), num(l.Y2), hexOf(colAxis))
	}
	w.WriteString("</g>\n")
	for _, t := range sc.Texts {
		fmt.Fprintf(w, `<text x="%d" y="%d" text-anchor="%s" fill="%s"`, t.X, t.Y, t.Anchor, hexOf(colInk))
		if t.Size != labelSize {
			fmt.Fprintf(w, ` font-size="%d"`, t.Size)
		}
		if t.Bold {
			w.WriteString(` font-weight="bold"`)
		}
		w.WriteString(">")
		esc(t.S)
		w.WriteString("</text>\n")
	}
	w.WriteString("</svg>\n")
}
