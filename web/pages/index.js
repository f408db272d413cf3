// Every page of the app, one import each (a page registers itself when imported).
// Keep one line per page so parallel changes merge cleanly.
import './inbox.js';
import './case.js';
import './escalations.js';
import './channels.js';
import './reports.js';
import './studio.js';
import './firm.js';
import './proposals.js';
