{#- DORA by month and fiscal quarter for every service, team and the org (see dora_trend_rows). -#}
select * from {{ ref('dora_trend_rows') }}
