// React's act() environment for ink-testing-library (keys are sent inside act: ecosystem.md §3).
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
