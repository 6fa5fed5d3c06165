/*  dashboard.h - the one page served at "/" (docs/gateway.md "Dashboard"): plain HTML and
 *  JavaScript, no build step; charts by Chart.js from Debian's libjs-chart.js, served by the
 *  gateway at /static/chart.min.js from its system path. The page asks for the read token
 *  (and the control token for actions), kept in the browser's sessionStorage only, reads
 *  /api/v1/status, positions, orders, fills, equity, pnl, risk, alerts, signals, and follows
 *  /api/v1/events (EventSource has no headers: the page reads the stream with fetch()).
 */
#ifndef TP_GATEWAY_DASHBOARD_H
#define TP_GATEWAY_DASHBOARD_H

extern const char dashboard_html[];

#endif /* TP_GATEWAY_DASHBOARD_H */
