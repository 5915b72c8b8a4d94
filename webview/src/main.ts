/** The training dashboard page (skeleton: replaced by the dashboard work). */
document.body.textContent = "RL Playground dashboard";
