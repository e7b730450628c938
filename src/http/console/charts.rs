//! The dashboard's charts, drawn on the server as inline SVG (no script, no
//! outside asset). Each carries a `<title>` and a `<desc>` with the numbers, and
//! the pages print the same numbers beside it; series differ by dash as well
//! as colour.

use std::fmt::Write;

/// Escapes text for SVG (XML) content and attributes.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// One bar of a bar chart.
#[derive(Debug, Clone)]
pub struct Bar {
    /// Its label.
    pub label: String,
    /// Its value.
    pub value: usize,
    /// Drawn in the warning colour (e.g. expired links).
    pub warning: bool,
}

/// A horizontal bar chart (the funnel): label, bar and number on each row.
pub fn bars(id: &str, title: &str, bars: &[Bar]) -> String {
    const ROW: usize = 34;
    const LABEL: usize = 200;
    const BAR: usize = 170;
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let height = ROW * bars.len() + 8;
    let desc: Vec<String> = bars.iter().map(|b| format!("{}: {}", b.label, b.value)).collect();
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {w} {height}" width="100%" role="img" aria-labelledby="{id}-t {id}-d" xmlns="http://www.w3.org/2000/svg"><title id="{id}-t">{title}</title><desc id="{id}-d">{desc}</desc>"#,
        w = LABEL + BAR + 60,
        title = escape(title),
        desc = escape(&desc.join("; ")),
    );
    for (i, bar) in bars.iter().enumerate() {
        let y = i * ROW + 4;
        let width = if bar.value == 0 { 0 } else { (bar.value * BAR / max).max(2) };
        let class = if bar.warning { "bar warn" } else { "bar" };
        let _ = write!(
            svg,
            r#"<text x="0" y="{ty}" class="label">{label}</text><rect x="{LABEL}" y="{y}" width="{width}" height="24" rx="3" class="{class}"/><text x="{nx}" y="{ty}" class="num">{value}</text>"#,
            ty = y + 17,
            label = escape(&bar.label),
            nx = LABEL + width + 8,
            value = bar.value,
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A small bar (a share of a whole) for a table cell.
pub fn share(part: usize, whole: usize, label: &str) -> String {
    const WIDTH: usize = 100;
    let width = (part.min(whole) * WIDTH).checked_div(whole).unwrap_or(0);
    format!(
        r#"<svg class="spark" viewBox="0 0 {WIDTH} 10" width="{WIDTH}" height="10" role="img" aria-label="{label}" xmlns="http://www.w3.org/2000/svg"><rect x="0" y="0" width="{WIDTH}" height="10" class="track"/><rect x="0" y="0" width="{width}" height="10" class="bar"/></svg>"#,
        label = escape(label),
    )
}

/// One series of a line chart.
#[derive(Debug, Clone)]
pub struct Series {
    /// Its name (the legend).
    pub name: String,
    /// One value per point.
    pub values: Vec<usize>,
    /// CSS class: colour and dash.
    pub class: &'static str,
}

/// A line chart of several series over the same points (days), with the first
/// and last point labelled and the highest value on the axis.
pub fn lines(id: &str, title: &str, desc: &str, first: &str, last: &str, series: &[Series]) -> String {
    const W: usize = 420;
    const H: usize = 200;
    const LEFT: usize = 40;
    const TOP: usize = 10;
    const BOTTOM: usize = 30;
    let points = series.iter().map(|s| s.values.len()).max().unwrap_or(0);
    let max = series.iter().flat_map(|s| s.values.iter().copied()).max().unwrap_or(0).max(1);
    let plot_w = W - LEFT - 10;
    let plot_h = H - TOP - BOTTOM;
    let x = |i: usize| LEFT + if points > 1 { i * plot_w / (points - 1) } else { 0 };
    let y = |v: usize| TOP + plot_h - v * plot_h / max;
    let legend_h = 22 * series.len();
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart lines" viewBox="0 0 {W} {total}" width="100%" role="img" aria-labelledby="{id}-t {id}-d" xmlns="http://www.w3.org/2000/svg"><title id="{id}-t">{title}</title><desc id="{id}-d">{desc}</desc>"#,
        total = H + legend_h,
        title = escape(title),
        desc = escape(desc),
    );
    let _ = write!(
        svg,
        r#"<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{b}" class="axis"/><line x1="{LEFT}" y1="{b}" x2="{r}" y2="{b}" class="axis"/><text x="{lx}" y="{ty}" class="num" text-anchor="end">{max}</text><text x="{lx}" y="{b}" class="num" text-anchor="end">0</text><text x="{LEFT}" y="{dy}" class="label">{first}</text><text x="{r}" y="{dy}" class="label" text-anchor="end">{last}</text>"#,
        b = TOP + plot_h,
        r = LEFT + plot_w,
        lx = LEFT - 6,
        ty = TOP + 10,
        dy = TOP + plot_h + 20,
        first = escape(first),
        last = escape(last),
    );
    for (n, s) in series.iter().enumerate() {
        let path: Vec<String> = s.values.iter().enumerate().map(|(i, v)| format!("{},{}", x(i), y(*v))).collect();
        let _ = write!(svg, r#"<polyline points="{}" class="line {}"/>"#, path.join(" "), s.class);
        let ly = H + 22 * n + 10;
        let _ = write!(
            svg,
            r#"<line x1="{LEFT}" y1="{ly}" x2="{lx2}" y2="{ly}" class="line {class}"/><text x="{tx}" y="{ty}" class="label">{name}</text>"#,
            lx2 = LEFT + 30,
            class = s.class,
            tx = LEFT + 40,
            ty = ly + 5,
            name = escape(&s.name),
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped() {
        let svg = bars("f", "<t>", &[Bar { label: "A & <B>".into(), value: 3, warning: false }]);
        assert!(svg.contains("A &amp; &lt;B&gt;"));
        assert!(!svg.contains("<B>"));
        assert!(svg.contains("<title id=\"f-t\">&lt;t&gt;</title>"));
    }

    #[test]
    fn the_longest_bar_is_the_largest_value_and_zero_draws_nothing() {
        let svg = bars(
            "f",
            "t",
            &[Bar { label: "a".into(), value: 10, warning: false }, Bar { label: "b".into(), value: 0, warning: true }],
        );
        assert!(svg.contains(r#"width="170""#));
        assert!(svg.contains(r#"width="0""#));
    }

    #[test]
    fn a_share_of_nothing_is_empty() {
        assert!(share(0, 0, "x").contains(r#"width="0" height="10" class="bar""#));
        assert!(share(5, 10, "x").contains(r#"width="50" height="10" class="bar""#));
    }

    #[test]
    fn a_line_chart_has_one_polyline_per_series() {
        let series = [
            Series { name: "a".into(), values: vec![0, 1, 2], class: "s1" },
            Series { name: "b".into(), values: vec![2, 1, 0], class: "s2" },
        ];
        let svg = lines("l", "t", "d", "1", "3", &series);
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(svg.contains("<desc id=\"l-d\">d</desc>"));
    }
}
