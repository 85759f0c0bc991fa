// Draw one stacked bar chart per partner from the page's JSON; the tables carry the same data.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  if (typeof Chart === "undefined") return;
  const data = JSON.parse(document.getElementById("chart-data").textContent);
  const labels = JSON.parse(document.getElementById("chart-labels").textContent);
  // Colour-blind-safe hues, and the legend names each series too.
  const colours = { released: "#1b7837", held: "#b35806", denied: "#762a83" };
  const reduced = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  for (const partner of data.partners) {
    const canvas = document.querySelector(`canvas[data-partner="${CSS.escape(partner.id)}"]`);
    if (!canvas) continue;
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.days.map((d) => d.slice(5)),
        // The page's JSON has sorted keys; stack in the order people read them.
        datasets: ["released", "held", "denied"]
          .filter((outcome) => outcome in partner.series)
          .map((outcome) => ({
            label: labels[outcome] || outcome,
            data: partner.series[outcome],
            backgroundColor: colours[outcome],
          })),
      },
      options: {
        animation: reduced ? false : undefined,
        maintainAspectRatio: false,
        responsive: true,
        scales: {
          x: { stacked: true },
          y: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: labels.requests } },
        },
        plugins: { legend: { position: "bottom" } },
      },
    });
  }
});
