scenario "quick"
