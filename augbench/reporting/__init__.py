"""From stored rows to what people read: leaderboards, statistics, plots, the HTML report, compare and costs."""
