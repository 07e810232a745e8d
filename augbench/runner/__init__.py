"""Running a grid: planning and running cells (sweep), spreading them over executors, timing a method's augment."""
